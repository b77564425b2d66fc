"""The low-rank MAML kernel against the torch.func reference (float64, exact to rounding)."""
import pytest

torch = pytest.importorskip("torch")

from symmaml.nonlinear import lowrank  # noqa: E402
from symmaml.nonlinear.maml import batched_step, evaluate_test_loss, train  # noqa: E402
from symmaml.nonlinear.model import Problem, generator, init_params, make_mlp, sample_tasks  # noqa: E402

PROB = Problem(p=5, n_t=7, n_v=3, n_r=4, n_s=6, m=3)
EPS = torch.finfo(torch.float64).eps


def _setup(hidden, bias=True, B=4, seed=0, zero=False):
    net = make_mlp(PROB.p, hidden, bias=bias)
    g = generator(seed)
    P = init_params(net, g, batch=B, dtype=torch.float64, zero=zero)
    # move biases off zero so their terms are exercised
    P = {k: v + 0.2 * torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in P.items()}
    data = sample_tasks(g, (B, PROB.m), PROB, dtype=torch.float64)
    alphas = torch.linspace(-0.3, 0.3, B, dtype=torch.float64)
    return net, P, data, alphas


@pytest.mark.parametrize("hidden,bias", [((6, 5), True), ((9,), True), ((4, 3, 5), True),
                                         ((6,), False), ((), False), ((), True)])
def test_lowrank_equals_vmap_reference(hidden, bias):
    net, P, data, A = _setup(hidden, bias)
    g_ref, l_ref = batched_step(net)(P, A, *data)
    g_fast, l_fast = lowrank.step(P, A, *data)
    torch.testing.assert_close(l_fast, l_ref, rtol=1e3 * EPS, atol=1e3 * EPS)
    assert set(g_fast) == set(g_ref)
    for k in g_ref:
        scale = float(g_ref[k].abs().max()) + 1.0
        assert float((g_fast[k] - g_ref[k]).abs().max()) <= 1e4 * EPS * scale, k


def test_lowrank_per_layer_rates_equal_meta_sgd_with_constant_layers():
    """A rate per layer = Meta-SGD with rates constant within each parameter tensor."""
    net, P, data, _ = _setup((6, 5), B=2)
    rates = [torch.tensor([0.1, -0.2], dtype=torch.float64), torch.tensor([0.05, 0.3], dtype=torch.float64),
             torch.tensor([-0.1, 0.2], dtype=torch.float64)]
    names = list(P)
    alpha = {k: rates[i // 2].view(2, *([1] * (P[k].dim() - 1))).expand_as(P[k]).clone()
             for i, k in enumerate(names)}
    (gp_ref, ga_ref), l_ref = batched_step(net, learn_alpha=True)(P, alpha, *data)
    (gp, ga), l_fast = lowrank.step(P, rates, *data, learn_alpha=True)
    torch.testing.assert_close(l_fast, l_ref, rtol=1e-12, atol=1e-12)
    for k in names:
        torch.testing.assert_close(gp[k], gp_ref[k], rtol=1e-10, atol=1e-12)
    for i in range(3):      # d/d(layer rate) = sum over that layer's per-parameter rates' grads
        want = sum(ga_ref[k].flatten(1).sum(1) for k in names[2 * i:2 * i + 2])
        torch.testing.assert_close(ga[i], want, rtol=1e-10, atol=1e-12)


def test_lowrank_test_loss_equals_vmap():
    net, P, _, _ = _setup((6, 5), B=3)
    te = sample_tasks(generator(3), (3, 11), PROB, sizes=("n_r", "n_s"), dtype=torch.float64)
    m1, per1 = evaluate_test_loss(net, P, 0.07, *te, chunk=4, kernel="lowrank")
    m2, per2 = evaluate_test_loss(net, P, 0.07, *te, chunk=5, kernel="vmap")
    torch.testing.assert_close(per1, per2, rtol=1e-12, atol=1e-13)
    shared = sample_tasks(generator(4), (6,), PROB, sizes=("n_r", "n_s"), dtype=torch.float64)
    torch.testing.assert_close(evaluate_test_loss(net, P, 0.07, *shared, kernel="lowrank")[1],
                               evaluate_test_loss(net, P, 0.07, *shared, kernel="vmap")[1])


def test_training_with_either_kernel_is_the_same_trajectory():
    net, P, data, A = _setup((6,), B=3)
    pa, _, la = train(net, P, A, data, lr=0.01, max_epochs=30, kernel="lowrank", rtol=0, atol=0)
    pb, _, lb = train(net, P, A, data, lr=0.01, max_epochs=30, kernel="vmap", rtol=0, atol=0)
    assert la.epochs == lb.epochs == 30
    for k in pa:
        torch.testing.assert_close(pa[k], pb[k], rtol=1e-9, atol=1e-11)


def test_convergence_rule_stops_on_the_training_loss():
    net, P, data, A = _setup((6,), B=2)
    A = torch.zeros(2, dtype=torch.float64)
    _, _, log = train(net, P, A, data, lr=0.05, max_epochs=5000, check_every=20, rtol=1e-3, atol=1e-8)
    assert log.converged and log.epochs < 5000 and log.epochs % 20 == 0
    _, _, log = train(net, P, A, data, lr=0.05, max_epochs=45, check_every=20, rtol=0, atol=0)
    assert not log.converged and log.epochs == 45


def test_kernel_choice_errors():
    net, P, data, A = _setup((4,), B=2)
    alpha = {k: torch.zeros_like(v) for k, v in P.items()}
    with pytest.raises(ValueError, match="scalar rate"):
        train(net, P, alpha, data, max_epochs=1, kernel="lowrank")
    with pytest.raises(ValueError, match="kernel must be"):
        evaluate_test_loss(net, P, 0.1, *data, kernel="fast")
    with pytest.raises(ValueError, match="expected a weight"):
        lowrank.layers_of({"0.bias": torch.zeros(2, 3)})
