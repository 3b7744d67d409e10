"""The segmentation steps as plain functions. Each takes its collaborators (the store, a
clock, a progress callback) as arguments and returns value objects that every surface renders.
"""
