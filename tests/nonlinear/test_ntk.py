"""symmaml.nonlinear.ntk: the tangent-feature (NTK) matrices and Theorem 3 on them."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from symmaml.nonlinear.model import Problem, generator, init_params, make_mlp  # noqa: E402


def test_tangent_features_match_autograd_and_linear_case():
    from symmaml.nonlinear.ntk import ntk_matrices, tangent_features
    from symmaml.nonlinear.model import forward
    net = make_mlp(5, (7,))
    p0 = init_params(net, generator(0), dtype=torch.float64)
    x = torch.randn(4, 5, generator=generator(1), dtype=torch.float64)
    K = tangent_features(net, p0, x)
    for i in range(4):
        leaves = {k: v.clone().requires_grad_(True) for k, v in p0.items()}
        g = torch.autograd.grad(forward(net, leaves, x[i:i + 1]).sum(), list(leaves.values()))
        torch.testing.assert_close(K[i], torch.cat([t.flatten() for t in g]))
    # linear model: k(x) = x, so Sigma -> I, F -> (p + 2) I (Gaussian x), Sigma_w -> nu^2/p I
    prob = Problem(p=5, target="linear")
    lin = make_mlp(5, (), bias=False)
    M = ntk_matrices(lin, {"0.weight": torch.zeros(1, 5, dtype=torch.float64)}, prob, n_x=40000,
                     n_tasks=4000, n_eval=500, ridge_rel=0.0)
    np.testing.assert_allclose(M.Sigma, np.eye(5), atol=0.03)
    np.testing.assert_allclose(M.F, 7 * np.eye(5), atol=0.5)
    np.testing.assert_allclose(M.Sigma_w, 0.25 / 5 * np.eye(5), atol=0.01)
    assert M.residual_var < 1e-20


def test_theorem3_on_linear_tangent_features_is_theorem1():
    from symmaml import theory
    from symmaml.nonlinear.ntk import NTKMatrices, theorem3_curve
    from symmaml.numeric.losses import loss_function
    p = 60
    prob = Problem()
    M = NTKMatrices(np.eye(p), 0.25 / p * np.eye(p), (p + 2) * np.eye(p), 1.0, 0.0, 0.0, 0, 0, p)
    a = np.array([-0.8, 0.0, 0.4])
    got = theorem3_curve(M, a, 0.2, prob)
    f = loss_function(1)
    assert theory is not None
    want = np.array([float(f(n_t=30, n_v=2, n_r=20, m=3, p=p, sigma=1.0, nu=0.5, delta_sq=0.0, alpha_t=x, alpha_r=0.2))
                     for x in a])
    np.testing.assert_allclose(got, want, rtol=1e-10)
