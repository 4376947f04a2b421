"""Simulated customer bases with planted, documented ground truth.

The generative process is the BG/NBD model of Fader, Hardie & Lee (2005) for purchase
timing, the Gamma-Gamma model of Fader, Hardie & Lee (2005, "RFM and CLV") and
Colombo & Jiang (1999) for spend, plus planted product sequences, segment-dependent NPS
answers and complaints that announce churn. Everything is drawn with numpy's
:class:`~numpy.random.Generator`, vectorised over customers.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from crmanalytics._frames import DateLike
from crmanalytics.datasets._plant_marketing import plant_marketing
from crmanalytics.datasets._plant_preferences import PlantedPreferences, plant_preferences
from crmanalytics.datasets._plant_trends import plant_trends

__all__ = [
    "DEFAULT_NPS_MIX",
    "DEFAULT_PLANTED_PAIRS",
    "NPSMix",
    "PlantedBetaGeo",
    "PlantedGammaGamma",
    "PlantedPair",
    "SimulatedData",
    "SimulationTruth",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class PlantedBetaGeo(NamedTuple):
    """BG/NBD parameters of a simulation, with time measured in **days**.

    ``lambda ~ Gamma(shape=r, rate=alpha)`` (purchases per day while alive) and
    ``p ~ Beta(a, b)`` (probability of dropping out after each repeat purchase). To
    compare with a model fitted in weeks, multiply ``alpha`` by 7.

    Examples
    --------
    >>> from crmanalytics.datasets import PlantedBetaGeo
    >>> PlantedBetaGeo(0.25, 30.0, 0.8, 2.4).alpha / 7  # alpha in weeks
    4.285714285714286
    """

    r: float
    alpha: float
    a: float
    b: float


class PlantedGammaGamma(NamedTuple):
    """Gamma-Gamma spend parameters of a simulation.

    Each purchase amount is ``Gamma(shape=p, rate=nu)`` and each customer's ``nu`` is
    ``Gamma(shape=q, rate=v)``, so a customer's mean spend is ``p / nu`` and the
    population mean spend per purchase is ``p * v / (q - 1)`` (for ``q > 1``).

    Examples
    --------
    >>> from crmanalytics.datasets import PlantedGammaGamma
    >>> gg = PlantedGammaGamma(6.25, 3.74, 15.44)
    >>> round(gg.p * gg.v / (gg.q - 1), 2)
    35.22
    """

    p: float
    q: float
    v: float


class PlantedPair(NamedTuple):
    """A planted "``antecedent`` then ``consequent`` within ``within_days``" rule.

    Whenever a customer buys ``antecedent`` and their *next* purchase falls within
    ``within_days`` days, that next purchase is relabelled as ``consequent`` with
    probability ``probability``. Purchase times and amounts are untouched, so the
    BG/NBD and Gamma-Gamma truth is unaffected.

    Examples
    --------
    >>> from crmanalytics.datasets import PlantedPair
    >>> PlantedPair("P004", "P011", 30.0, 0.5).consequent
    'P011'
    """

    antecedent: str
    consequent: str
    within_days: float
    probability: float


class NPSMix(NamedTuple):
    """Shares of promoters (9-10), passives (7-8) and detractors (0-6); they sum to 1.

    The planted NPS of a segment is ``promoter - detractor`` (on the -1..1 scale).

    Examples
    --------
    >>> from crmanalytics.datasets import NPSMix
    >>> mix = NPSMix(0.6, 0.3, 0.1)
    >>> round(mix.promoter - mix.detractor, 2)
    0.5
    """

    promoter: float
    passive: float
    detractor: float


#: Planted product sequences used when ``planted_pairs`` is not given.
DEFAULT_PLANTED_PAIRS: tuple[PlantedPair, ...] = (
    PlantedPair("P004", "P011", 30.0, 0.5),
    PlantedPair("P007", "P019", 60.0, 0.4),
    PlantedPair("P002", "P023", 14.0, 0.6),
)

#: NPS mix per segment used when ``nps_mix`` is not given.
DEFAULT_NPS_MIX: Mapping[str, NPSMix] = {
    "gold": NPSMix(0.60, 0.30, 0.10),
    "silver": NPSMix(0.40, 0.35, 0.25),
    "bronze": NPSMix(0.25, 0.35, 0.40),
}

#: Segment shares by mean spend: gold is the top 20 %, silver the next 30 %.
_SEGMENT_SHARES = (("gold", 0.2), ("silver", 0.3), ("bronze", 0.5))
_ACQUISITION_CHANNELS = ("search", "social", "email", "referral", "direct")
_ACQUISITION_WEIGHTS = (0.3, 0.2, 0.15, 0.15, 0.2)
_REGIONS = ("north", "south", "east", "west")
_PURCHASE_CHANNELS = ("web", "app", "store")
_PURCHASE_WEIGHTS = (0.5, 0.3, 0.2)
_COMPLAINT_TEXTS = (
    "parcel arrived late",
    "item damaged",
    "wrong item sent",
    "refund took too long",
    "rude support agent",
)
_CAMPAIGN_RESPONSE_DAYS = 3.0
_SECONDS_PER_DAY = 86_400
#: pandas' default dtype for strings (``str`` on pandas 3, ``object`` before).
_STRING_DTYPE: Any = pd.Series(["x"]).dtype


@dataclass(frozen=True)
class SimulationTruth:
    """Everything :func:`simulate` planted, for checking what a method recovers.

    Attributes
    ----------
    bgnbd : PlantedBetaGeo
        Purchase-timing parameters, time in days.
    gamma_gamma : PlantedGammaGamma
        Spend parameters.
    planted_pairs : tuple of PlantedPair
        The planted sequential product rules.
    nps_mix : dict of str to NPSMix
        Promoter / passive / detractor shares per segment.
    observation_end : pandas.Timestamp
        End of the observation window (midnight, exclusive): nothing happens at or
        after it.
    customers : pandas.DataFrame
        One row per customer: ``customer_id``; ``lambda`` (purchase rate per day while
        alive); ``p`` (dropout probability after each repeat purchase); ``nu`` (spend
        rate) and ``mean_spend`` (``p_gg / nu``, the customer's expected amount per
        purchase); ``segment``; ``acquired_at`` (time of the first purchase); ``T``
        (days from first purchase to ``observation_end``); ``frequency`` (repeat
        purchases made before ``observation_end``); ``alive`` (not dropped out by
        ``observation_end``); ``dropout_at`` (time of the last purchase, after which
        the customer left; ``NaT`` when alive); ``complained`` (has at least one
        complaint in the interactions).
    preferences : PlantedPreferences
        The planted preference groups (favoured categories per group, each
        customer's group) and age bands; see step 9 of :func:`simulate`.
    rising_products, declining_products : tuple of str
        Products whose share of purchases was planted to grow 50-fold or fall 20-fold
        over the window (see ``crmanalytics.datasets._plant_trends``); empty when the
        catalogue is too small.
    acquisition : pandas.DataFrame
        Per ``acquisition_channel``: ``customers``, ``cost_per_customer`` (the planted
        acquisition cost), ``cost`` and ``repeat_90d`` (expected share buying again
        within 90 days of the first purchase). See step 10 of :func:`simulate`.
    campaign_controls : pandas.DataFrame
        The customers held out of each campaign (``campaign_id``, ``customer_id``).
    campaign_uplift : pandas.DataFrame
        Per campaign: ``first_send``, ``window_days``, ``control_share``, the planted
        30-day conversion rates ``conversion_rate_control`` and
        ``conversion_rate_reached``, ``conversion_uplift`` and ``revenue_uplift`` (per
        customer).
    cart_rate : float
        Probability that a page view is followed by a ``cart`` within 30 minutes.

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> truth = simulate(200, seed=1).truth
    >>> truth.bgnbd.r
    0.25
    >>> sorted(truth.customers.columns)[:4]
    ['T', 'acquired_at', 'alive', 'complained']
    """

    bgnbd: PlantedBetaGeo
    gamma_gamma: PlantedGammaGamma
    planted_pairs: tuple[PlantedPair, ...]
    nps_mix: dict[str, NPSMix]
    observation_end: pd.Timestamp
    customers: pd.DataFrame
    preferences: PlantedPreferences | None = None
    rising_products: tuple[str, ...] = ()
    declining_products: tuple[str, ...] = ()
    acquisition: pd.DataFrame | None = None
    campaign_controls: pd.DataFrame | None = None
    campaign_uplift: pd.DataFrame | None = None
    cart_rate: float | None = None


@dataclass(frozen=True)
class SimulatedData:
    """A simulated customer base: three canonical tables and the truth behind them.

    Attributes
    ----------
    customers : pandas.DataFrame
        Canonical customers: ``customer_id``, ``created_at``, ``acquisition_channel``,
        ``region``, ``segment``, ``age_band``.
    transactions : pandas.DataFrame
        Canonical transactions, one line per purchase occasion: ``customer_id``,
        ``timestamp``, ``amount``, ``transaction_id``, ``product_id``, ``quantity``,
        ``channel``, ``category``; sorted by time.
    interactions : pandas.DataFrame
        Canonical interactions: ``customer_id``, ``timestamp``, ``kind`` (``nps``,
        ``complaint``, ``campaign_sent``, ``campaign_response``, ``page_view``,
        ``cart``),
        ``channel``, ``campaign_id``, ``score`` (NPS answers only), ``text``
        (complaints only); sorted by time.
    truth : SimulationTruth
        The planted parameters and per-customer latent values.

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> data = simulate(100, seed=0)
    >>> len(data.customers)
    100
    >>> bool((data.transactions["amount"] > 0).all())
    True
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    interactions: pd.DataFrame
    truth: SimulationTruth


def simulate(
    n_customers: int,
    *,
    seed: int,
    start: DateLike = "2024-01-01",
    acquisition_days: float = 84.0,
    duration_days: float = 546.0,
    bgnbd: tuple[float, float, float, float] = (0.25, 30.0, 0.8, 2.4),
    gamma_gamma: tuple[float, float, float] = (6.25, 3.74, 15.44),
    n_products: int = 50,
    planted_pairs: Sequence[tuple[str, str, float, float]] = DEFAULT_PLANTED_PAIRS,
    nps_mix: Mapping[str, tuple[float, float, float]] = DEFAULT_NPS_MIX,
    nps_response_rate: float = 0.3,
    complaint_rate_dropout: float = 0.4,
    complaint_rate_base: float = 0.05,
    complaint_window_days: float = 14.0,
    n_campaigns: int = 6,
    campaign_response_alive: float = 0.10,
    campaign_response_dropped: float = 0.01,
    page_views_per_purchase: float = 3.0,
) -> SimulatedData:
    """Simulate a customer base whose behaviour follows known, planted rules.

    The generative process, per customer:

    1. **Acquisition.** The first purchase happens at a time uniform over the first
       ``acquisition_days`` days after ``start``. Observation ends at
       ``start + duration_days`` (exclusive).
    2. **Purchases (BG/NBD).** ``lambda ~ Gamma(r, rate=alpha)`` per day and
       ``p ~ Beta(a, b)``. While alive, repeat purchases arrive as a Poisson process
       with rate ``lambda``; after each repeat purchase the customer drops out with
       probability ``p`` (exactly the BG/NBD of Fader, Hardie & Lee 2005: a customer
       with no repeat purchase is alive). Times are continuous, so two purchases can
       fall on the same calendar day; day-based summaries count them as one occasion,
       which happens for about 1.5 % of repeat purchases at the defaults (mostly
       for the most frequent buyers). ``truth.customers["frequency"]`` counts every
       repeat purchase.
    3. **Spend (Gamma-Gamma).** ``nu ~ Gamma(q, rate=v)`` per customer; every purchase,
       the first included, is ``Gamma(p, rate=nu)``, rounded to cents (at least 0.01).
    4. **Products.** Each purchase is one line with one product (``quantity`` 1) drawn
       from ``n_products`` ids ``P001, P002, ...`` with popularity proportional to
       ``1 / rank ** 0.7``. Then each planted pair ``(A, B, N, prob)`` in turn: when a
       purchase of ``A`` is followed by the customer's next purchase within ``N``
       days, that purchase becomes ``B`` with probability ``prob``. Finally three
       products outside the pairs are made to rise and three to decline
       (``truth.rising_products``, ``truth.declining_products``): purchases are
       relabelled, their times and amounts kept.
    5. **Segments.** ``gold`` / ``silver`` / ``bronze`` are the top 20 %, next 30 % and
       bottom 50 % of the *population* distribution of mean spend ``p / nu``
       (fixed cut points from the Gamma quantiles of ``nu``, not sample quantiles).
    6. **NPS.** Each customer answers one survey with probability
       ``nps_response_rate`` at a uniform time while active (first purchase to dropout
       or ``observation_end``); the answer is promoter / passive / detractor with the
       segment's ``nps_mix``, then a uniform integer score within that class (9-10,
       7-8, 0-6).
    7. **Complaints.** A customer who drops out complains with probability
       ``complaint_rate_dropout`` at a uniform time within ``complaint_window_days``
       after the last purchase; any other customer complains with probability
       ``complaint_rate_base`` at a uniform time while active. Complaints falling after
       ``observation_end`` are not recorded. Complainers therefore drop out more, and a
       complaint after the last purchase is a churn signal.
    8. **Campaigns and browsing.** ``n_campaigns`` e-mail campaigns are sent on evenly
       spaced days after the acquisition window to everyone acquired by then;
       customers still alive respond with probability ``campaign_response_alive``,
       those gone with ``campaign_response_dropped``, within 3 days. Campaigns have no
       effect on purchases. While active, customers view pages as a Poisson process
       with rate ``page_views_per_purchase * lambda``.
    9. **Preferences and age bands.** Each customer joins one of four preference
       groups, each favouring two of eight categories (80 % of its lines there); every
       purchase line's ``category`` is drawn from the group's mix, independently of
       its ``product_id``. Each customer's ``age_band`` is drawn with shares that
       depend on the spend segment (gold customers are older), so the bands differ in
       value. See :class:`~crmanalytics.datasets.PlantedPreferences`.
    10. **Marketing** (from a stream of its own, leaving all of the above unchanged):
        acquisition channels are drawn tilted by the purchase rate (referral and e-mail
        bring frequent buyers, social the least frequent) and cost a planted amount per
        customer; a random 20 % of each campaign's audience is held out as a control
        group (their sends and responses removed) so that the reached convert within
        30 days 5 points more often than the control (no effect for the first
        campaign); each page view leads to a ``cart`` with probability 0.25 within 30
        minutes and each purchase follows a ``cart`` within 60 minutes. The truth
        records all of it (``acquisition``, ``campaign_controls``,
        ``campaign_uplift``, ``cart_rate``).

    Every component draws from its own stream spawned from ``seed``, so the same seed
    gives the same data, and changing, say, the NPS settings leaves the purchases as
    they were.

    Parameters
    ----------
    n_customers : int
        Number of customers (ids ``1 .. n_customers``).
    seed : int
        Seed of the random streams.
    start : date-like, default "2024-01-01"
        Start of the acquisition window (midnight).
    acquisition_days : float, default 84
        Length of the acquisition window (12 weeks, as the CDNOW cohort).
    duration_days : float, default 546
        Length of the whole observation window from ``start`` (78 weeks, as CDNOW).
    bgnbd : (r, alpha, a, b), default (0.25, 30.0, 0.8, 2.4)
        BG/NBD parameters in **days**; the defaults are close to the CDNOW estimates
        (r = 0.243, alpha = 4.414 weeks = 30.9 days, a = 0.793, b = 2.426).
    gamma_gamma : (p, q, v), default (6.25, 3.74, 15.44)
        Gamma-Gamma spend parameters (the CDNOW estimates of Fader, Hardie & Lee 2005).
    n_products : int, default 50
        Size of the product catalogue.
    planted_pairs : sequence of (antecedent, consequent, within_days, probability)
        Planted sequential rules; :data:`DEFAULT_PLANTED_PAIRS` by default (needs
        ``n_products >= 23``); pass ``()`` for none.
    nps_mix : mapping of segment to (promoter, passive, detractor)
        NPS class shares for each of ``gold``, ``silver`` and ``bronze``.
    nps_response_rate : float, default 0.3
        Share of customers who answer the NPS survey.
    complaint_rate_dropout, complaint_rate_base : float, default 0.4 and 0.05
        Complaint probabilities for customers who drop out and for everyone else.
    complaint_window_days : float, default 14
        Complaints of leaving customers come this many days after the last purchase
        at most.
    n_campaigns : int, default 6
        Number of e-mail campaigns.
    campaign_response_alive, campaign_response_dropped : float, default 0.10 and 0.01
        Response probabilities for customers alive and gone at send time.
    page_views_per_purchase : float, default 3
        Page-view rate as a multiple of the purchase rate.

    Returns
    -------
    SimulatedData
        ``customers``, ``transactions``, ``interactions`` (canonical pandas frames) and
        ``truth``.

    Raises
    ------
    ValueError
        When an argument is out of range (the message names it).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "Counting your customers the
    easy way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2).
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: using iso-value
    curves for customer base analysis", *Journal of Marketing Research* 42(4).

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> data = simulate(1000, seed=42)
    >>> data.transactions.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['customer_id', 'timestamp', 'amount', 'transaction_id', 'product_id', 'quantity',
     'channel', 'category']
    >>> bool((data.transactions["timestamp"] < data.truth.observation_end).all())
    True
    >>> sorted(data.interactions["kind"].unique())
    ['campaign_response', 'campaign_sent', 'cart', 'complaint', 'nps', 'page_view']
    >>> simulate(1000, seed=42).transactions.equals(data.transactions)
    True
    """
    params = _check_arguments(
        n_customers,
        seed=seed,
        acquisition_days=acquisition_days,
        duration_days=duration_days,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        n_products=n_products,
        planted_pairs=planted_pairs,
        nps_mix=nps_mix,
        rates={
            "nps_response_rate": nps_response_rate,
            "complaint_rate_dropout": complaint_rate_dropout,
            "complaint_rate_base": complaint_rate_base,
            "campaign_response_alive": campaign_response_alive,
            "campaign_response_dropped": campaign_response_dropped,
        },
        non_negative={
            "complaint_window_days": complaint_window_days,
            "n_campaigns": n_campaigns,
            "page_views_per_purchase": page_views_per_purchase,
        },
    )
    bg, gg, pairs, mix = params
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    origin = pd.Timestamp(start).normalize()
    if origin.tzinfo is not None:
        origin = origin.tz_localize(None)
    n = int(n_customers)
    ids = np.arange(1, n + 1, dtype=np.int64)

    # 1-2. acquisition and BG/NBD purchases (times in days since `start`)
    rng = streams[0]
    acquired = rng.uniform(0.0, acquisition_days, size=n)
    lam = rng.gamma(bg.r, 1.0 / bg.alpha, size=n)
    p_drop = rng.beta(bg.a, bg.b, size=n)
    horizon = duration_days - acquired
    purchases = _bgnbd_purchases(rng, acquired, lam, p_drop, horizon)
    owner, times, dropped, dropout_time, frequency = purchases

    # 3. spend
    rng = streams[1]
    nu = rng.gamma(gg.q, 1.0 / gg.v, size=n)
    amounts = rng.gamma(gg.p, 1.0 / nu[owner])
    amounts = np.maximum(np.round(amounts, 2), 0.01)

    # 4. products
    products = _products(streams[2], owner, times, n_products, pairs)
    catalogue = _product_ids(int(n_products))
    products, rising, declining = plant_trends(
        seed, times, products, catalogue=catalogue, duration_days=duration_days, pairs=pairs
    )

    # 5. segments from fixed population cut points of nu (low nu = high spend)
    segment = _segments(nu, gg)

    active_end = np.where(dropped, dropout_time, duration_days)
    parts = _Parts()
    lives = {"acquired": acquired, "active_end": active_end}
    _nps(
        streams[3],
        parts,
        acquired=acquired,
        active=active_end - acquired,
        segment=segment,
        mix=mix,
        response_rate=nps_response_rate,
    )
    complained = _complaints(
        streams[4],
        parts,
        **lives,
        dropped=dropped,
        rates=(complaint_rate_dropout, complaint_rate_base),
        window_days=complaint_window_days,
        duration_days=duration_days,
    )
    _campaigns(
        streams[5],
        parts,
        **lives,
        n_campaigns=int(n_campaigns),
        response=(campaign_response_alive, campaign_response_dropped),
        acquisition_days=acquisition_days,
        duration_days=duration_days,
    )
    _page_views(streams[6], parts, **lives, rate=page_views_per_purchase * lam)

    rng = streams[7]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": _stamps(origin, acquired),
            "acquisition_channel": rng.choice(
                np.array(_ACQUISITION_CHANNELS), size=n, p=_ACQUISITION_WEIGHTS
            ),
            "region": rng.choice(np.array(_REGIONS), size=n),
            "segment": segment,
        }
    )
    transactions = _transactions_frame(
        rng, origin, ids=ids[owner], times=times, amounts=amounts, products=products
    )
    interaction_frame = _interactions_frame(origin, ids, parts, int(n_campaigns))
    customers, transactions, preferences = plant_preferences(seed, customers, transactions, segment)
    end = origin + pd.Timedelta(days=duration_days)
    planted = plant_marketing(
        int(seed), customers=customers, transactions=transactions,
        interactions=interaction_frame, lam=lam, origin=origin, observation_end=end,
    )  # fmt: skip
    customers, interaction_frame = planted.customers, planted.interactions

    truth_customers = pd.DataFrame(
        {
            "customer_id": ids,
            "lambda": lam,
            "p": p_drop,
            "nu": nu,
            "mean_spend": gg.p / nu,
            "segment": segment,
            "acquired_at": customers["created_at"],
            "T": horizon,
            "frequency": frequency,
            "alive": ~dropped,
            "dropout_at": _stamps(origin, np.where(dropped, dropout_time, np.nan)),
            "complained": complained,
        }
    )
    truth = SimulationTruth(
        bgnbd=bg,
        gamma_gamma=gg,
        planted_pairs=pairs,
        nps_mix=dict(mix),
        observation_end=origin + pd.Timedelta(days=duration_days),
        customers=truth_customers,
        preferences=preferences,
        rising_products=rising,
        declining_products=declining,
        **planted.truth(),
    )
    return SimulatedData(customers, transactions, interaction_frame, truth)


def _check_arguments(
    n_customers: object,
    *,
    seed: object,
    acquisition_days: float,
    duration_days: float,
    bgnbd: Sequence[float],
    gamma_gamma: Sequence[float],
    n_products: object,
    planted_pairs: Sequence[tuple[str, str, float, float]],
    nps_mix: Mapping[str, tuple[float, float, float]],
    rates: Mapping[str, float],
    non_negative: Mapping[str, float],
) -> tuple[PlantedBetaGeo, PlantedGammaGamma, tuple[PlantedPair, ...], dict[str, NPSMix]]:
    """Validate :func:`simulate`'s arguments; return the typed parameter records."""
    _check_integer("n_customers", n_customers, minimum=1)
    _check_integer("seed", seed, minimum=0)
    n_products = _check_integer("n_products", n_products, minimum=1)
    if not 0 < acquisition_days < duration_days:
        raise ValueError(
            "need 0 < acquisition_days < duration_days, got "
            f"acquisition_days={acquisition_days!r}, duration_days={duration_days!r}"
        )
    if len(bgnbd) != 4 or not all(np.isfinite(x) and x > 0 for x in bgnbd):
        raise ValueError(f"bgnbd must be four positive numbers (r, alpha, a, b), got {bgnbd!r}")
    if len(gamma_gamma) != 3 or not all(np.isfinite(x) and x > 0 for x in gamma_gamma):
        raise ValueError(
            f"gamma_gamma must be three positive numbers (p, q, v), got {gamma_gamma!r}"
        )
    for name, value in rates.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} is a probability and must lie in [0, 1], got {value!r}")
    for name, value in non_negative.items():
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    bg = PlantedBetaGeo(*(float(x) for x in bgnbd))
    gg = PlantedGammaGamma(*(float(x) for x in gamma_gamma))
    return bg, gg, _check_pairs(planted_pairs, n_products), _check_mix(nps_mix)


def _check_integer(name: str, value: object, *, minimum: int) -> int:
    """``value`` as an int, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_pairs(
    planted_pairs: Sequence[tuple[str, str, float, float]], n_products: int
) -> tuple[PlantedPair, ...]:
    catalogue = _product_ids(n_products)
    pairs = tuple(PlantedPair(str(a), str(b), float(n), float(pr)) for a, b, n, pr in planted_pairs)
    for pair in pairs:
        unknown = {pair.antecedent, pair.consequent} - set(catalogue.tolist())
        if unknown:
            raise ValueError(
                f"planted_pairs: product(s) {sorted(unknown)} are not among the "
                f"{n_products} product ids {catalogue[0]}..{catalogue[-1]}; "
                "raise n_products or pass other planted_pairs (or ())"
            )
        if not pair.within_days > 0 or not 0.0 <= pair.probability <= 1.0:
            raise ValueError(
                f"planted_pairs: {pair} needs within_days > 0 and probability in [0, 1]"
            )
    return pairs


def _check_mix(nps_mix: Mapping[str, tuple[float, float, float]]) -> dict[str, NPSMix]:
    segments = [name for name, _ in _SEGMENT_SHARES]
    if sorted(nps_mix) != sorted(segments):
        raise ValueError(
            f"nps_mix must give a mix for each segment {segments}, got {list(nps_mix)}"
        )
    mix = {name: NPSMix(*(float(x) for x in nps_mix[name])) for name in segments}
    for name, shares in mix.items():
        if min(shares) < 0 or not np.isclose(sum(shares), 1.0):
            raise ValueError(
                f"nps_mix[{name!r}] must be three non-negative shares summing to 1, got {shares}"
            )
    return mix


def _bgnbd_purchases(
    rng: np.random.Generator,
    acquired: FloatArray,
    lam: FloatArray,
    p_drop: FloatArray,
    horizon: FloatArray,
) -> tuple[IntArray, FloatArray, BoolArray, FloatArray, IntArray]:
    """Draw every purchase of a BG/NBD customer base.

    Repeat purchases up to the horizon are a Poisson process: their count is
    Poisson(lambda * horizon) and, given the count, their times are sorted uniforms.
    The customer leaves after repeat purchase number J ~ Geometric(p) (support 1, 2,
    ...), so they keep the first min(count, J) repeat purchases; J and the Poisson
    process are independent, which is the BG/NBD story exactly.

    Returns owner index and time (days since start) of every purchase, first purchases
    included, ordered by customer and time; whether each customer dropped out before
    the horizon, when (days since start; NaN if not) and their repeat-purchase count.
    """
    n = lam.size
    count = rng.poisson(lam * horizon)
    leave_after = rng.geometric(p_drop)
    owner = np.repeat(np.arange(n, dtype=np.int64), count)
    offset = rng.uniform(0.0, 1.0, size=owner.size) * horizon[owner]
    order = np.lexsort((offset, owner))
    owner, offset = owner[order], offset[order]
    first = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    rank = np.arange(owner.size, dtype=np.int64) - first[owner]
    keep = rank < leave_after[owner]
    dropped = count >= leave_after
    dropout_time = np.full(n, np.nan)
    last = first[dropped] + leave_after[dropped] - 1
    dropout_time[dropped] = acquired[dropped] + offset[last]
    frequency = np.minimum(count, leave_after).astype(np.int64)

    repeat_owner, repeat_time = owner[keep], acquired[owner[keep]] + offset[keep]
    all_owner = np.concatenate((np.arange(n, dtype=np.int64), repeat_owner))
    all_time = np.concatenate((acquired, repeat_time))
    order = np.lexsort((all_time, all_owner))
    return all_owner[order], all_time[order], dropped, dropout_time, frequency


def _product_ids(n_products: int) -> npt.NDArray[np.str_]:
    width = max(3, len(str(n_products)))
    return np.array([f"P{i:0{width}d}" for i in range(1, n_products + 1)])


def _products(
    rng: np.random.Generator,
    owner: IntArray,
    times: FloatArray,
    n_products: int,
    pairs: Sequence[PlantedPair],
) -> npt.NDArray[np.str_]:
    """Product of each purchase (purchases ordered by customer and time)."""
    catalogue = _product_ids(n_products)
    weights = 1.0 / np.arange(1, n_products + 1) ** 0.7
    code = rng.choice(n_products, size=owner.size, p=weights / weights.sum())
    index = {pid: i for i, pid in enumerate(catalogue.tolist())}
    same_customer = np.zeros(owner.size, dtype=bool)
    gap = np.full(owner.size, np.inf)
    if owner.size > 1:
        same_customer[:-1] = owner[1:] == owner[:-1]
        gap[:-1] = times[1:] - times[:-1]
    for pair in pairs:
        fire = (
            (code == index[pair.antecedent])
            & same_customer
            & (gap <= pair.within_days)
            & (rng.uniform(size=owner.size) < pair.probability)
        )
        nxt = np.flatnonzero(fire) + 1
        code[nxt] = index[pair.consequent]
    return catalogue[code]


def _segments(nu: FloatArray, gg: PlantedGammaGamma) -> npt.NDArray[np.str_]:
    """Gold / silver / bronze by fixed population quantiles of mean spend p / nu."""
    names = np.array([name for name, _ in _SEGMENT_SHARES])
    cumulative = np.cumsum([share for _, share in _SEGMENT_SHARES])[:-1]
    cuts = stats.gamma.ppf(cumulative, a=gg.q, scale=1.0 / gg.v)  # low nu = high spend
    return names[np.searchsorted(cuts, nu)]


_KINDS = ("nps", "complaint", "campaign_sent", "campaign_response", "page_view")
_CHANNELS = ("email", "web", "app", "phone", "chat")
_CHANNEL = {name: code for code, name in enumerate(_CHANNELS)}


class _Parts:
    """Interaction rows collected as arrays.

    Kind, channel, campaign and text are codes into ``_KINDS``, ``_CHANNELS``, the
    campaign number and ``_COMPLAINT_TEXTS`` (-1 for missing); times are days since
    the start.
    """

    def __init__(self) -> None:
        self.columns: dict[str, list[npt.NDArray[Any]]] = {
            k: [] for k in ("owner", "time", "kind", "channel", "campaign", "score", "text")
        }

    def add(
        self,
        owner: IntArray,
        time: FloatArray,
        kind: str,
        channel: IntArray,
        *,
        campaign: int = -1,
        score: FloatArray | None = None,
        text: IntArray | None = None,
    ) -> None:
        size = owner.size
        self.columns["owner"].append(owner)
        self.columns["time"].append(time)
        self.columns["kind"].append(np.full(size, _KINDS.index(kind)))
        self.columns["channel"].append(channel)
        self.columns["campaign"].append(np.full(size, campaign))
        self.columns["score"].append(np.full(size, np.nan) if score is None else score)
        self.columns["text"].append(np.full(size, -1) if text is None else text)

    def column(self, name: str) -> npt.NDArray[Any]:
        return np.concatenate(self.columns[name])


def _channels(rng: np.random.Generator, names: Sequence[str], size: int) -> IntArray:
    return rng.choice(np.array([_CHANNEL[name] for name in names]), size=size)


def _nps(
    rng: np.random.Generator,
    parts: _Parts,
    *,
    acquired: FloatArray,
    active: FloatArray,
    segment: npt.NDArray[np.str_],
    mix: Mapping[str, NPSMix],
    response_rate: float,
) -> None:
    """Draw NPS answers.

    One answer per responding customer: class from the segment's mix, then a uniform
    integer score within the class, at a uniform time while active.
    """
    answers = np.flatnonzero(rng.uniform(size=acquired.size) < response_rate)
    shares = np.array([mix[s] for s in segment[answers].tolist()]).reshape(-1, 3)
    u = rng.uniform(size=answers.size)
    klass = (u[:, None] > np.cumsum(shares, axis=1)[:, :2]).sum(axis=1)  # 0 pro, 1 pas, 2 det
    low = np.array([9, 7, 0])[klass]
    high = np.array([10, 8, 6])[klass]
    score = rng.integers(low, high + 1).astype(np.float64)
    time = acquired[answers] + rng.uniform(size=answers.size) * active[answers]
    parts.add(answers, time, "nps", _channels(rng, ("email", "web"), answers.size), score=score)


def _complaints(
    rng: np.random.Generator,
    parts: _Parts,
    *,
    acquired: FloatArray,
    active_end: FloatArray,
    dropped: BoolArray,
    rates: tuple[float, float],
    window_days: float,
    duration_days: float,
) -> BoolArray:
    """Complaints after the last purchase of leavers, or at any time while active.

    Returns who complained (within the observation window).
    """
    n = acquired.size
    rate_dropout, rate_base = rates
    leaver_complains = dropped & (rng.uniform(size=n) < rate_dropout)
    base_complains = ~leaver_complains & (rng.uniform(size=n) < rate_base)
    time = np.where(
        leaver_complains,
        active_end + rng.uniform(size=n) * window_days,
        acquired + rng.uniform(size=n) * (active_end - acquired),
    )
    complained = (leaver_complains | base_complains) & (time < duration_days)
    who = np.flatnonzero(complained)
    via = _channels(rng, ("phone", "email", "chat"), who.size)
    text = rng.integers(0, len(_COMPLAINT_TEXTS), size=who.size)
    parts.add(who, time[who], "complaint", via, text=text)
    return complained


def _campaigns(
    rng: np.random.Generator,
    parts: _Parts,
    *,
    acquired: FloatArray,
    active_end: FloatArray,
    n_campaigns: int,
    response: tuple[float, float],
    acquisition_days: float,
    duration_days: float,
) -> None:
    """Draw e-mail campaigns, evenly spaced after the acquisition window.

    Responses depend on being alive at send time; campaigns do not affect purchases.
    """
    step = (duration_days - acquisition_days) / max(n_campaigns, 1)
    respond_alive, respond_dropped = response
    for k in range(n_campaigns):
        send = acquisition_days + (k + 0.5) * step
        reached = np.flatnonzero(acquired <= send)
        email = np.full(reached.size, _CHANNEL["email"])
        parts.add(reached, np.full(reached.size, send), "campaign_sent", email, campaign=k)
        chance = np.where(active_end[reached] > send, respond_alive, respond_dropped)
        response_time = send + rng.uniform(size=reached.size) * _CAMPAIGN_RESPONSE_DAYS
        responds = (rng.uniform(size=reached.size) < chance) & (response_time < duration_days)
        parts.add(
            reached[responds],
            response_time[responds],
            "campaign_response",
            email[responds],
            campaign=k,
        )


def _page_views(
    rng: np.random.Generator,
    parts: _Parts,
    *,
    acquired: FloatArray,
    active_end: FloatArray,
    rate: FloatArray,
) -> None:
    """Page views: a Poisson process with the given rate per day while active."""
    active = active_end - acquired
    owner = np.repeat(np.arange(acquired.size, dtype=np.int64), rng.poisson(rate * active))
    time = acquired[owner] + rng.uniform(size=owner.size) * active[owner]
    parts.add(owner, time, "page_view", _channels(rng, ("web", "app"), owner.size))


def _stamps(origin: pd.Timestamp, days: FloatArray) -> pd.DatetimeIndex:
    """Timestamps ``origin + days`` floored to the second (NaN gives NaT), in microseconds."""
    seconds = np.floor(np.asarray(days, dtype=np.float64) * _SECONDS_PER_DAY)
    known = np.isfinite(seconds)
    # integer arithmetic only: pandas 2.2's float-to-timedelta path can warn about a
    # spurious overflow on NaN
    stamps = np.full(seconds.shape, np.datetime64("NaT"), dtype="datetime64[us]")
    start = origin.to_datetime64().astype("datetime64[us]")
    stamps[known] = start + seconds[known].astype(np.int64).astype("timedelta64[s]")
    return pd.DatetimeIndex(stamps)


def _transactions_frame(
    rng: np.random.Generator,
    origin: pd.Timestamp,
    *,
    ids: IntArray,
    times: FloatArray,
    amounts: FloatArray,
    products: npt.NDArray[np.str_],
) -> pd.DataFrame:
    """Canonical transactions sorted by time, one line per purchase occasion."""
    order = np.argsort(times, kind="stable")
    size = order.size
    width = len(str(size))
    return pd.DataFrame(
        {
            "customer_id": ids[order],
            "timestamp": _stamps(origin, times[order]),
            "amount": amounts[order],
            "transaction_id": np.array([f"T{i:0{width}d}" for i in range(1, size + 1)]),
            "product_id": products[order],
            "quantity": np.ones(size),
            "channel": rng.choice(np.array(_PURCHASE_CHANNELS), size=size, p=_PURCHASE_WEIGHTS),
        }
    )


def _decode(codes: IntArray, labels: Sequence[str]) -> Any:
    """Strings for integer codes, missing for -1, in pandas' default string dtype.

    Decoding through an Arrow dictionary is much faster than building the strings one
    by one; with object strings (pandas 2) an object array with ``None`` is built.
    """
    missing = codes < 0
    if getattr(_STRING_DTYPE, "storage", None) == "pyarrow":
        pa: Any = importlib.import_module("pyarrow")
        indices = pa.array(np.where(missing, 0, codes), mask=missing)
        strings = pa.DictionaryArray.from_arrays(indices, pa.array(list(labels), pa.string()))
        return pd.array(strings.cast(pa.large_string()), dtype=_STRING_DTYPE)
    table = np.array([*labels, None], dtype=object)
    return pd.array(table[np.where(missing, len(labels), codes)], dtype=_STRING_DTYPE)


def _interactions_frame(
    origin: pd.Timestamp, ids: IntArray, parts: _Parts, n_campaigns: int
) -> pd.DataFrame:
    """Canonical interactions sorted by time (then customer)."""
    owner = parts.column("owner").astype(np.int64)
    time = parts.column("time")
    order = np.lexsort((owner, time))

    def codes(name: str) -> IntArray:
        return parts.column(name).astype(np.int64)[order]

    campaigns = [f"C{k + 1:02d}" for k in range(n_campaigns)]
    return pd.DataFrame(
        {
            "customer_id": ids[owner[order]],
            "timestamp": _stamps(origin, time[order]),
            "kind": _decode(codes("kind"), _KINDS),
            "channel": _decode(codes("channel"), _CHANNELS),
            "campaign_id": _decode(codes("campaign"), campaigns),
            "score": parts.column("score")[order],
            "text": _decode(codes("text"), _COMPLAINT_TEXTS),
        }
    )
