"""Training: the fit loop, evaluate / predict, and callbacks (early stopping, checkpoints,
monitors).

```python
from pygrad.train import EarlyStopping, fit

history = fit(model, loss_fn, optimizer, (X, Y), val_data=(Xv, Yv), epochs=50,
              callbacks=[EarlyStopping(patience=5, restore_best_weights=True)])
```
"""

from pygrad.train.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    GradientMonitor,
    History,
    LearningRateMonitor,
    ModelCheckpoint,
)
from pygrad.train.loop import accuracy, evaluate, fit, predict

__all__ = [
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "GradientMonitor",
    "History",
    "LearningRateMonitor",
    "ModelCheckpoint",
    "accuracy",
    "evaluate",
    "fit",
    "predict",
]
