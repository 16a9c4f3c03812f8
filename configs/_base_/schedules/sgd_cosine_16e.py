# The anchors' recipe: SGD (lr 0.1 for a total batch of 128 = 16 x 8 GPUs), momentum 0.9, nesterov,
# weight decay 5e-4; cosine annealing to 0 per iteration over 16 epochs (x RepeatDataset(times=5) in the
# dataset configs). With --auto-scale-lr the lr follows the actual total batch size linearly.
# The schedule has no length of its own: CosineToEndLR (pyskl.engine.schedulers) anneals over whatever
# train_cfg.max_epochs is when training starts (also on resume), reaching eta_min at the last iteration.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=16, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [dict(type='CosineToEndLR', eta_min=0, by_epoch=True, convert_to_iter_based=True)]
auto_scale_lr = dict(enable=False, base_batch_size=128)
