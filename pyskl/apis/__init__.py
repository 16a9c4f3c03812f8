from .inference import inference_recognizer, init_recognizer
from .test import run_test, setup_test_cfg
from .train import default_work_dir, setup_train_cfg, train_model

__all__ = ['init_recognizer', 'inference_recognizer', 'setup_train_cfg', 'train_model', 'setup_test_cfg',
           'run_test', 'default_work_dir']
