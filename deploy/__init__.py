"""Running BiLSTM Lab beyond one process: N replicas behind nginx (`deploy.replicas`).

Checkout-only, like ``labharness`` and ``bench``: the installed package does not ship it.
"""
