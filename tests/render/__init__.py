"""Tests of `bilstm_lab.render`: pure Python, no TensorFlow.

The analysis the pictures draw from is held to real Keras in test_analysis.py.
"""
