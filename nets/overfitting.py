"""The book's overfitting experiment and its two remedies (ch. 6.4, ``ch06/overfit_weight_decay.py``,
``ch06/overfit_dropout.py``; Figs. 6-20, 6-21, 6-23).

A deep network trained long on few examples: the training accuracy reaches 100 % while the validation accuracy
stays far below; L2 weight decay (½·λ·Σ‖W‖² added to the loss) and dropout (a ratio r of the hidden units dropped
in training) narrow the gap.  The book: MNIST, 300 training images, a 7-layer network of 100 ReLU units
(hidden_size_list=[100] * 6), SGD lr 0.01, batch 100, 200 epochs (λ = 0.1 in Fig. 6-21; dropout r = 0.2 over 300
epochs in Fig. 6-23).  Here the same, on the 8×8 digits, 200 epochs; accuracies measured every 4 epochs.
"""

from __future__ import annotations

from . import data as datasets
from . import network, train

SETTING = dict(examples=300, hidden=(100,) * 6, lr=0.01, batch=100, epochs=200)
CHECKPOINTS = 50
EXAMPLES_RANGE = (100, 500)  # 500 images × 200 epochs: 1000 iterations, about 2 s
BOOK_WEIGHT_DECAY = 0.1
BOOK_DROPOUT = 0.2


def run(weight_decay: float = 0.0, dropout: float = 0.0, inverted: bool = True, *, examples: int = SETTING["examples"],
        seed: int = 0, progress=None) -> train.Training:
    """One run of the book's setting with weight decay λ and dropout ratio r (the convention ``inverted``, see
    ``layers.Dropout``) on the first ``examples`` training images; the curves only (training accuracy on those
    images, validation accuracy on the held-out split).  Raises ValueError naming a value out of range."""
    from optim_core.runner import make

    if isinstance(examples, bool) or not EXAMPLES_RANGE[0] <= examples <= EXAMPLES_RANGE[1]:
        raise ValueError(f"examples = {examples!r} must be {EXAMPLES_RANGE[0]} to {EXAMPLES_RANGE[1]}")
    data = datasets.head(datasets.load("digits", seed=seed), int(examples))
    arch = network.Architecture((data.input_dim, *SETTING["hidden"], data.classes), "relu").check()
    iterations = SETTING["epochs"] * int(examples) // SETTING["batch"]
    regulariser = train.Regulariser(float(weight_decay), float(dropout), bool(inverted))
    return train.train(arch, data, [make("sgd", lr=SETTING["lr"])], iterations=iterations,
                       batch_size=SETTING["batch"], seed=seed, regulariser=regulariser, keep=CHECKPOINTS,
                       progress=progress).curves_only()
