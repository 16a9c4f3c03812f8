from .graph import Graph

__all__ = ['Graph']

__all__ = ['Graph', 'Layout', 'LAYOUTS', 'get_layout', 'register_layout']
