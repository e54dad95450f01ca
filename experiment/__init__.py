"""Experiments that train and evaluate many recipes: the grid."""
