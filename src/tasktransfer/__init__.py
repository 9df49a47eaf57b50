"""tasktransfer: measure task transfer in vision-language models.

Finetune a VLM on one perception task, evaluate it zero-shot on all the others over several
seeds, and turn the accuracies into a transfer matrix (Sachdeva et al., CVPR 2026).
Importing the package is cheap: torch, transformers and ray load only inside the layers
that need them.
"""

__version__ = "0.1.0"
