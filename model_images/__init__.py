"""Model export recipes, the serving contract they share, warmup records and the contract check.

`catalog` and `contract` are plain Python (the deploy path reads them); every module that
imports TensorFlow does so at its top and is only imported by the `models` commands.
"""
