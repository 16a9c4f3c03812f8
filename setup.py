import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_requirements(path):
    with open(os.path.join(HERE, path)) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


def read_version():
    ns = {}
    with open(os.path.join(HERE, 'pyskl', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


setup(
    name='pyskl',
    version=read_version(),
    description='Skeleton-based action recognition toolbox (ST-GCN, ST-GCN++, AAGCN, MS-G3D, DG-STGCN) on mmengine',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    install_requires=read_requirements('requirements.txt'),
    package_data={'pyskl.datasets': ['data/*.txt']},
    extras_require={'tests': read_requirements('requirements/tests.txt'),
                    'pose': read_requirements('requirements/pose.txt'),
                    'video': read_requirements('requirements/video.txt')},
    license='Apache-2.0',
)
