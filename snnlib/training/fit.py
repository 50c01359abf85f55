"""Training: fit the transforms of a network in rate mode, one mini-batch at a time."""

import time

import numpy as np

from .._checks import check_positive_int
from .._progress import on_terminal, show_progress
from .optimizers import Adam
from .rate_model import RateNetwork, RateTarget, _check_data, softmax_cross_entropy

# --- training ---------------------------------------------------------------------


def train(
    network,
    inputs,
    targets,
    epochs=10,
    batch_size=64,
    optimizer=None,
    seed=0,
    learning_rate_schedule=None,
    augment=None,
    rate_targets=(),
    lif_smoothing=0.05,
    trainable=None,
    validation=None,
    dtype=np.float32,
    progress_bar=True,
):
    """Train the transforms of ``network`` with rate neurons and softmax cross-entropy.

    Parameters
    ----------
    network : Network
    inputs : dict
        ``{input_node: data}``, data of shape ``(n, node.size)``.
    targets : dict
        ``{output: labels}``: one output (a node, neurons or probe whose target
        gives the logits) and integer class labels of shape ``(n,)``.
    epochs : int
    batch_size : int
    optimizer : Adam or RMSprop, optional
        Default ``Adam(0.001)``.
    seed : int
        Seeds the shuffling and ``augment``.
    learning_rate_schedule : callable, optional
        ``schedule(epoch) -> learning rate``, applied at the start of each epoch
        (e.g. `cosine_decay`).
    augment : callable, optional
        ``augment(x_batch, rng) -> x_batch`` changes each minibatch of every
        input (e.g. random shifts of images).
    rate_targets : sequence of RateTarget
        Firing-rate regularisation terms added to the loss.
    lif_smoothing : float
        ``sigma`` of the SoftLIFRate derivative used for LIF gradients.
    trainable : sequence of Connection, optional
        Default: every Dense and Conv2D connection the output depends on.
    validation : tuple, optional
        ``(inputs, labels)`` scored (rate accuracy) at the end of each epoch.
    dtype : numpy dtype
        float32 (fast) or float64.
    progress_bar : bool
        Print a progress bar per epoch on standard output.

    Returns
    -------
    dict
        Per epoch lists: ``loss`` (cross-entropy), ``accuracy`` (on the
        training minibatches), ``rate_loss``, ``mean_rates`` (Hz, per rate
        target), ``learning_rate``, ``seconds``, and ``val_accuracy`` if
        ``validation`` was given.
    """
    if not isinstance(targets, dict) or len(targets) != 1:
        raise ValueError(
            f"train: targets must be a dict with one entry {{output: labels}}, got {targets!r:.100}"
        )
    ((output, labels),) = targets.items()
    for rt in rate_targets:
        if not isinstance(rt, RateTarget):
            raise TypeError(f"train: rate_targets must be RateTarget objects, got {rt!r}")
    model = RateNetwork(
        network,
        output,
        inputs=list(inputs),
        lif_smoothing=lif_smoothing,
        trainable=trainable,
        watch=[rt.neurons for rt in rate_targets],
    )
    n = _check_data(model, inputs)
    labels = _check_labels(labels, n, model.output.size, "train")
    epochs = check_positive_int("train", "epochs", epochs)
    batch_size = check_positive_int("train", "batch_size", batch_size)
    optimizer = Adam() if optimizer is None else optimizer
    if not hasattr(optimizer, "step"):
        raise TypeError(f"train: optimizer must be Adam(...) or RMSprop(...), got {optimizer!r}")
    if validation is not None:
        val_inputs, val_labels = validation
        val_n = _check_data(model, val_inputs)
        val_labels = _check_labels(val_labels, val_n, model.output.size, "train validation")

    inputs = {node: np.asarray(x).reshape(n, -1) for node, x in inputs.items()}
    rng = np.random.default_rng(seed)
    params = model.parameters()
    history = {
        "loss": [],
        "accuracy": [],
        "rate_loss": [],
        "mean_rates": [],
        "learning_rate": [],
        "seconds": [],
    }
    if validation is not None:
        history["val_accuracy"] = []

    n_batches = -(-n // batch_size)
    for epoch in range(epochs):
        if learning_rate_schedule is not None:
            optimizer.learning_rate = float(learning_rate_schedule(epoch))
        start_time = time.perf_counter()
        order = rng.permutation(n)
        totals = {"loss": 0.0, "correct": 0, "rate_loss": 0.0, "rates": np.zeros(len(rate_targets))}
        for b in range(n_batches):
            items = order[b * batch_size : (b + 1) * batch_size]
            batch = {node: x[items] for node, x in inputs.items()}
            if augment is not None:
                batch = {node: augment(x, rng) for node, x in batch.items()}
            out = model.forward(batch, dtype=dtype, record=True)
            logits = out[model.output]
            loss, d_logits = softmax_cross_entropy(logits, labels[items])
            output_grads = {model.output: d_logits.astype(dtype)}
            for i, rt in enumerate(rate_targets):
                amplitude = rt.neurons.neuron_type.amplitude
                r_loss, r_grad, mean_rate = rt.loss_and_grad(out[rt.neurons], amplitude)
                totals["rate_loss"] += r_loss * len(items)
                totals["rates"][i] += mean_rate * len(items)
                if rt.neurons in output_grads:
                    output_grads[rt.neurons] = output_grads[rt.neurons] + r_grad
                else:
                    output_grads[rt.neurons] = r_grad
            grads = model.backward(output_grads)
            optimizer.step(params, grads)

            totals["loss"] += loss * len(items)
            totals["correct"] += int((logits.argmax(axis=1) == labels[items]).sum())
            if progress_bar:
                seen = min((b + 1) * batch_size, n)
                _progress(
                    epoch,
                    epochs,
                    b + 1,
                    n_batches,
                    f"loss {totals['loss'] / seen:.4f}  "
                    f"accuracy {100 * totals['correct'] / seen:5.1f}%",
                )
        if not np.all([np.all(np.isfinite(p)) for p in params]):
            raise FloatingPointError(
                f"train: the parameters became NaN or infinite in epoch {epoch + 1}; "
                f"try a smaller learning rate than {optimizer.learning_rate}"
            )
        history["loss"].append(totals["loss"] / n)
        history["accuracy"].append(totals["correct"] / n)
        history["rate_loss"].append(totals["rate_loss"] / n)
        history["mean_rates"].append((totals["rates"] / n).tolist())
        history["learning_rate"].append(optimizer.learning_rate)
        history["seconds"].append(time.perf_counter() - start_time)
        summary = f"loss {history['loss'][-1]:.4f}  accuracy {100 * history['accuracy'][-1]:5.1f}%"
        if rate_targets:
            rates = ", ".join(f"{r:.0f}" for r in history["mean_rates"][-1])
            summary += f"  rates {rates} Hz"
        if validation is not None:
            predicted = model.predict(val_inputs, dtype=dtype).argmax(axis=1)
            history["val_accuracy"].append(float((predicted == val_labels).mean()))
            summary += f"  val accuracy {100 * history['val_accuracy'][-1]:5.1f}%"
        if progress_bar:
            _progress(
                epoch,
                epochs,
                n_batches,
                n_batches,
                f"{summary}  {history['seconds'][-1]:.1f} s",
                finished=True,
            )
    return history


def _check_labels(labels, n, n_classes, owner):
    labels = np.asarray(labels)
    if labels.ndim > 1 and all(s == 1 for s in labels.shape[1:]):
        labels = labels.reshape(len(labels))  # NengoDL-style (n, 1, 1) labels
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{owner}: labels must be integer class numbers of shape (n,), "
            f"got shape {labels.shape} and dtype {labels.dtype}"
        )
    if len(labels) != n:
        raise ValueError(
            f"{owner}: there are {n} input items but {len(labels)} labels; give one label per item"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{owner}: labels must be 0 to {n_classes - 1} (the output has "
            f"{n_classes} values), got {labels.min()} to {labels.max()}"
        )
    return labels.astype(np.intp)


def _progress(epoch, epochs, n_done, total, message, finished=False, width=30):
    """Progress of one epoch: a bar redrawn after every batch on a terminal; in
    a log (not a terminal), only the line that ends the epoch."""
    if not (finished or on_terminal()):
        return
    filled = width * n_done // total
    show_progress(
        f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs} "
        f"[{'#' * filled}{'.' * (width - filled)}] {n_done}/{total}  {message}",
        finished,
    )
