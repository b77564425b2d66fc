"""The exact second-order meta-gradient against finite differences (float64, small net)."""
import pytest

torch = pytest.importorskip("torch")

from symmaml.nonlinear.model import Problem, generator, init_params, make_mlp, sample_tasks  # noqa: E402
from symmaml.nonlinear.maml import (batched_step, meta_grad_loop, meta_loss,  # noqa: E402
                                    inner_loss, evaluate_test_loss)

PROB = Problem(p=4, n_t=5, n_v=3, n_r=4, n_s=6, m=2)


def _setup(hidden=(5, 5), seed=0, B=2):
    net = make_mlp(PROB.p, hidden)
    g = generator(seed)
    P = init_params(net, g, batch=B, dtype=torch.float64)
    P = {k: v + 0.3 * torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in P.items()}
    data = sample_tasks(g, (B, PROB.m), PROB, dtype=torch.float64)
    return net, P, data


def _fd_grad(f, params, eps=1e-6):
    out = {}
    for k, v in params.items():
        gk = torch.zeros_like(v)
        flat = gk.view(-1)
        for i in range(v.numel()):
            e = torch.zeros(v.numel(), dtype=v.dtype)
            e[i] = eps
            plus = dict(params, **{k: v + e.view(v.shape)})
            minus = dict(params, **{k: v - e.view(v.shape)})
            flat[i] = (f(plus) - f(minus)) / (2 * eps)
        out[k] = gk
    return out


@pytest.mark.parametrize("alpha", [0.3, -0.4])
def test_meta_gradient_matches_finite_differences(alpha):
    net, P, data = _setup()
    A = torch.tensor([alpha, alpha / 2], dtype=torch.float64)
    grads, loss = batched_step(net)(P, A, *data)
    for b in range(2):
        pb = {k: v[b] for k, v in P.items()}
        d = [t[b] for t in data]
        f = lambda p: float(meta_loss(net, p, A[b], *d))  # noqa: E731
        assert float(loss[b]) == pytest.approx(f(pb), rel=1e-12)
        fd = _fd_grad(f, pb)
        for k in pb:
            torch.testing.assert_close(grads[k][b], fd[k], rtol=1e-6, atol=1e-8)


def test_second_order_terms_matter():
    """First-order MAML (inner gradient detached) differs from the FD gradient: the test
    above would catch a missing second-order term."""
    from torch.func import grad
    net, P, data = _setup()
    pb = {k: v[0] for k, v in P.items()}
    d = [t[0] for t in data]
    alpha = 0.5

    def fo_loss(p):
        tot = 0
        for i in range(PROB.m):
            g = grad(lambda q: inner_loss(net, q, d[0][i], d[1][i]))(p)
            th = {k: p[k] - alpha * g[k].detach() for k in p}
            tot = tot + inner_loss(net, th, d[2][i], d[3][i]) / PROB.m
        return tot
    fo = grad(fo_loss)(pb)
    exact = _fd_grad(lambda p: float(meta_loss(net, p, torch.tensor(alpha, dtype=torch.float64), *d)), pb)
    diff = max(float((fo[k] - exact[k]).abs().max()) for k in pb)
    assert diff > 1e-4


def test_vmapped_equals_per_task_loop():
    net, P, data = _setup(hidden=(7,), B=3)
    A = torch.tensor([0.2, 0.0, -0.3], dtype=torch.float64)
    grads, loss = batched_step(net)(P, A, *data)
    for b in range(3):
        g_loop, l_loop = meta_grad_loop(net, {k: v[b] for k, v in P.items()}, A[b], *[t[b] for t in data])
        assert float(l_loop) == pytest.approx(float(loss[b]), rel=1e-12)
        for k in g_loop:
            torch.testing.assert_close(grads[k][b], g_loop[k], rtol=1e-10, atol=1e-12)


def test_metasgd_alpha_gradient_matches_finite_differences():
    net, P, data = _setup(hidden=(4,), B=1)
    g = generator(3)
    alpha = {k: 0.2 * torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in P.items()}
    (gp, ga), _ = batched_step(net, learn_alpha=True)(P, alpha, *data)
    pb = {k: v[0] for k, v in P.items()}
    ab = {k: v[0] for k, v in alpha.items()}
    d = [t[0] for t in data]
    fd_a = _fd_grad(lambda a: float(meta_loss(net, pb, a, *d)), ab)
    fd_p = _fd_grad(lambda p: float(meta_loss(net, p, ab, *d)), pb)
    for k in pb:
        torch.testing.assert_close(ga[k][0], fd_a[k], rtol=1e-6, atol=1e-8)
        torch.testing.assert_close(gp[k][0], fd_p[k], rtol=1e-6, atol=1e-8)


def test_linear_model_meta_gradient_closed_form():
    """f = omega^T x: L_meta = |B omega - gamma|^2 / (2 n_v m) (Eqs. 66-68), so the
    meta-gradient is B^T (B omega - gamma) / (n_v m)."""
    prob = Problem(p=6, n_t=4, n_v=3, m=2, target="linear")
    net = make_mlp(prob.p, (), bias=False)
    g = generator(5)
    xt, yt, xv, yv = sample_tasks(g, (prob.m,), prob, dtype=torch.float64)
    omega = torch.randn(prob.p, generator=g, dtype=torch.float64)
    P = {"0.weight": omega.view(1, -1)}
    a = 0.37
    Bs, gs = [], []
    for i in range(prob.m):
        Am = torch.eye(prob.p, dtype=torch.float64) - a / prob.n_t * xt[i].T @ xt[i]
        Bs.append(xv[i] @ Am)
        gs.append(yv[i] - a / prob.n_t * xv[i] @ xt[i].T @ yt[i])
    B, gam = torch.cat(Bs), torch.cat(gs)
    expected = B.T @ (B @ omega - gam) / (prob.n_v * prob.m)
    got, _ = meta_grad_loop(net, P, torch.tensor(a, dtype=torch.float64), xt, yt, xv, yv)
    torch.testing.assert_close(got["0.weight"].view(-1), expected, rtol=1e-10, atol=1e-12)
    gb, _ = batched_step(net)({"0.weight": omega.view(1, 1, -1)}, torch.tensor([a], dtype=torch.float64),
                              *[t.unsqueeze(0) for t in (xt, yt, xv, yv)])
    torch.testing.assert_close(gb["0.weight"].view(-1), expected, rtol=1e-10, atol=1e-12)


def test_test_loss_shared_and_per_model_data_agree():
    net, P, _ = _setup(hidden=(6,), B=2)
    g = generator(9)
    te = sample_tasks(g, (5,), PROB, sizes=("n_r", "n_s"), dtype=torch.float64)
    m1, per1 = evaluate_test_loss(net, P, 0.1, *te, chunk=2)
    m2, per2 = evaluate_test_loss(net, P, 0.1, *[t.unsqueeze(0).expand(2, *t.shape) for t in te], chunk=3)
    torch.testing.assert_close(per1, per2)
    assert per1.shape == (2, 5)
