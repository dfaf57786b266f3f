import torch
from torch.nn import functional as F

from tabgan.encoding.layout import TableLayout
from tabgan.gan.activation import OutputActivation
from tabgan.gan.model import Critic, Generator, conditional_loss, wgan_gp_losses

COLUMNS = [
    ("a", "numeric", [(1, "tanh"), (3, "softmax")]),
    ("b", "categorical", [(2, "softmax")]),
    ("c", "numeric", [(1, "tanh")]),
    ("d", "categorical", [(4, "softmax")]),
]
DISCRETE = [(4, 2), (7, 4)]  # (start, size) of the categorical columns


def _layout():
    return TableLayout.build(COLUMNS).index()


def test_activation_puts_tanh_and_softmax_on_the_right_columns():
    act = OutputActivation(_layout(), tau=0.2)
    raw = torch.randn(64, 11) * 3
    out = act(raw, torch.Generator().manual_seed(0))
    assert torch.allclose(out[:, 0], torch.tanh(raw[:, 0]))
    assert torch.allclose(out[:, 6], torch.tanh(raw[:, 6]))
    for start, stop in [(1, 4), (4, 6), (7, 11)]:
        block = out[:, start:stop]
        assert torch.all(block >= 0)
        assert torch.allclose(block.sum(1), torch.ones(64), atol=1e-5)


def test_activation_gradients_are_finite():
    act = OutputActivation(_layout(), tau=0.2)
    raw = torch.randn(16, 11, requires_grad=True)
    act(raw, torch.Generator().manual_seed(0)).pow(2).sum().backward()
    assert torch.isfinite(raw.grad).all()


def test_sample_scores_argmax_draws_from_the_softmax():
    act = OutputActivation(_layout(), tau=0.2)
    logits = torch.tensor([0.0, 1.0, 2.0])
    raw = torch.zeros(200_000, 11)
    raw[:, 1:4] = logits
    scores = act.sample_scores(raw, torch.Generator().manual_seed(0))
    freq = torch.bincount(scores[:, 1:4].argmax(1), minlength=3).float() / len(raw)
    assert torch.allclose(freq, torch.softmax(logits, 0), atol=0.01)
    assert torch.allclose(scores[:, 0], torch.zeros(len(raw)))  # tanh(0)


def test_conditional_loss_matches_a_loop_over_rows():
    layout = _layout()
    raw = torch.randn(30, 11)
    column = torch.randint(0, 2, (30,))
    category = torch.tensor([int(torch.randint(0, DISCRETE[c][1], ())) for c in column])
    expected = torch.stack(
        [
            F.cross_entropy(
                raw[i, DISCRETE[c][0] : DISCRETE[c][0] + DISCRETE[c][1]][None], category[i][None]
            )
            for i, c in enumerate(column.tolist())
        ]
    ).mean()
    assert torch.allclose(conditional_loss(raw, layout, column, category), expected, atol=1e-6)


def test_gradient_penalty_matches_per_pack_computation():
    torch.manual_seed(0)
    critic = Critic(5, (8,), pac=2, dropout=0.0)
    real, fake = torch.randn(6, 5), torch.randn(6, 5)
    loss, got = wgan_gp_losses(critic, real, fake, torch.Generator().manual_seed(1), 10.0)
    assert torch.allclose(loss, critic(fake).mean() - critic(real).mean())
    alpha = torch.rand(3, 1, 1, generator=torch.Generator().manual_seed(1))
    total = 0.0
    for p in range(3):
        a = alpha[p, 0, 0]
        x = (a * real[2 * p : 2 * p + 2] + (1 - a) * fake[2 * p : 2 * p + 2]).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)
        total += (g.norm() - 1) ** 2
    assert torch.allclose(got, 10.0 * total / 3, atol=1e-5)


def test_critic_scores_packs():
    critic = Critic(4, (8, 8), pac=5, dropout=0.5)
    assert critic(torch.randn(20, 4)).shape == (4, 1)


def test_generator_infer_equals_eval_forward():
    torch.manual_seed(0)
    gen = Generator(12, (16, 16, 8), 7)
    for _ in range(3):  # move the batch-norm running statistics away from their init
        gen(torch.randn(32, 12) * 2 + 1)
    gen.eval()
    x = torch.randn(50, 12)
    with torch.no_grad():
        assert torch.allclose(gen.infer(x), gen(x), atol=1e-5)
