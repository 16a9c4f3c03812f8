from .graph import LAYOUTS, Graph, Layout, get_layout, register_layout

__all__ = ['Graph', 'Layout', 'LAYOUTS', 'get_layout', 'register_layout']
