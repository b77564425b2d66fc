"""symmaml: re-derive, check and extend "Meta-learning with negative learning rates"
(Bernacchia, ICLR 2021) from first principles.

Layers, each importing only those below it::

    symbols, printing, io       fixed public symbols, LaTeX printer, atomic writes
    moments                     exact Gaussian matrix moments (two algorithms + recurrence)
    claims, records             the paper's printed equations as claims; derivations/ records
    cli                         thin command-line shell
"""
__version__ = "0.1.0"
