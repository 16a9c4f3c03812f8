"""Utilities. Light to import: the submodules import torch / mmengine only when used."""
from .setup_env import register_all_modules

__all__ = ['register_all_modules']
