"""The simulated operation: programs, sites, vendors, queues and the pools of agents serving them.

Numbers are chosen so a scorecard of the default run looks like a plausible mid-size operation;
the worse vendor, the tight pool and the under-forecast program are deliberate.

Two journey frictions are planted as well, so `cxpm journeys friction --by reason` has a known
answer at the top (tests/demo/test_demo_friction.py):

- A broken bot intent: since the new bill layout, telecom's bot no longer understands
  billing questions and hands 9 in 10 of them to an agent while agents are on
  (Reason.bot_escalation; about 86% of all its sessions, night ones included), where the
  other intents escalate by how containable they are (from about 1 in 10 for balance
  look-ups to about 2 in 3 for cancellations; 4 to 5 in 10 on average). Billing is
  telecom's largest intent, so it is the largest bot -> agent escalation by far.
- A transfer loop: telecom's front line (telecom-voice) sends "no-service" calls to tier 2
  (telecom-tier2) about a third of the time (other intents: 4% to 11%), and tier 2 sends
  6 in 10 of them back because network outages belong to the front line's outage script
  (Reason.transfer_p and Reason.bounce_back_p): telecom-voice -> telecom-tier2 ->
  telecom-voice, the largest agent -> agent transfer, with the returns (tier 2 -> front
  line) visible in the journey flows. The returning call queues again like any other
  caller (contacts.run_voice), and the forecast expects both frictions' extra volume.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERVAL_S = 1800
INTERVALS_PER_DAY = 48
OPEN_FROM, OPEN_TO = 14, 46  # 07:00-23:00 local for live channels
EMAIL_FROM, EMAIL_TO = 16, 40  # email desk works 08:00-20:00 local
SHIFT_INTERVALS = 16  # 8 hours including breaks and lunch
PART_TIME_INTERVALS = 10  # 5-hour shifts that cover the peaks
PART_TIME_SHARE = 0.3
IN_HOUSE = "in-house"
WORSE_VENDOR = "Andes CX"


@dataclass(frozen=True)
class Site:
    name: str
    vendor: str
    code: str
    hourly_cost: float  # loaded labor cost (in-house) or invoiced rate (vendor)
    quality: float  # multiplier on critical-error probabilities


SITES = (
    Site("Charlotte", IN_HOUSE, "CHA", 31.0, 1.0),
    Site("Manila", "Northstar BPO", "MNL", 14.5, 1.1),
    Site("Bogota", WORSE_VENDOR, "BOG", 13.0, 2.6),
)
SITE_BY_NAME = {s.name: s for s in SITES}


@dataclass(frozen=True)
class Reason:
    name: str
    weight: float
    handle_factor: float
    resolve_p: float  # chance an answered contact resolves the need
    containable: float  # chance a bot contains it
    sales: bool = False
    # Share of the intent's bot sessions handed to an agent (while agents are on), instead of
    # the containability model: a bot that fails at an intent it should handle.
    bot_escalation: float | None = None
    # Share of the front line's answered voice calls sent to tier 2, instead of the
    # handle-time rule (contacts.transfer_probability).
    transfer_p: float | None = None
    # Share of the calls tier 2 receives that it sends back to the front line queue.
    bounce_back_p: float = 0.0


@dataclass(frozen=True)
class Program:
    name: str
    daily_volume: float  # customer-initiated contacts per weekday at scale 1
    channel_mix: dict[str, float]
    sites: dict[str, float]  # routing share of voice by site
    desk_site: str  # site of the program's chat, messaging and email desks
    reasons: tuple[Reason, ...]
    forecast_bias: float  # systematic forecast error (negative = under-forecast)


PROGRAMS = (
    Program(
        "banking", 1350,
        {"voice": 0.56, "chat": 0.16, "email": 0.10, "self_service": 0.18},
        {"Charlotte": 0.55, "Manila": 0.45}, "Manila",
        (
            Reason("balance-inquiry", 0.22, 0.7, 0.93, 0.85),
            Reason("card-lost", 0.14, 1.0, 0.90, 0.40),
            Reason("dispute-charge", 0.16, 1.4, 0.70, 0.15),
            Reason("loan-question", 0.12, 1.3, 0.78, 0.25),
            Reason("online-access", 0.22, 0.9, 0.84, 0.55),
            Reason("fee-complaint", 0.14, 1.2, 0.72, 0.10),
        ),
        0.0,
    ),
    Program(
        "telecom", 1250,
        {"voice": 0.52, "chat": 0.10, "messaging": 0.14, "self_service": 0.24},
        {"Manila": 0.40, "Bogota": 0.60}, "Bogota",
        (
            Reason("billing-question", 0.26, 0.9, 0.86, 0.50, bot_escalation=0.9),
            Reason("no-service", 0.18, 1.2, 0.68, 0.20, transfer_p=0.35,
                   bounce_back_p=0.6),
            Reason("plan-change", 0.18, 1.0, 0.88, 0.45),
            Reason("device-support", 0.16, 1.4, 0.72, 0.30),
            Reason("cancel-service", 0.10, 1.3, 0.75, 0.05),
            Reason("roaming", 0.12, 0.8, 0.90, 0.60),
        ),
        -0.07,
    ),
    Program(
        "travel", 760,
        {"voice": 0.58, "chat": 0.22, "email": 0.20},
        {"Charlotte": 0.60, "Bogota": 0.40}, "Bogota",
        (
            Reason("new-booking", 0.24, 1.3, 0.85, 0.20, sales=True),
            Reason("change-booking", 0.22, 1.1, 0.84, 0.35),
            Reason("cancel-booking", 0.14, 0.9, 0.88, 0.45),
            Reason("refund-status", 0.18, 0.7, 0.76, 0.60),
            Reason("baggage", 0.12, 1.0, 0.72, 0.25),
            Reason("upgrade", 0.10, 1.0, 0.86, 0.30, sales=True),
        ),
        0.03,
    ),
)

# Live (agent-served) channels: talk, hold and wrap means in seconds, mean patience, whether a
# bot answers first, and the service-level goal the forecast staffs for.
@dataclass(frozen=True)
class ChannelModel:
    talk_s: float
    hold_share: float
    hold_s: float  # mean hold of the contacts that have one
    wrap_s: float
    patience_s: float  # mean; inf for email
    bot_first: bool
    sl_threshold_s: float
    concurrency: int = 1  # sessions an agent works at once


CHANNELS = {
    "voice": ChannelModel(295, 0.35, 70, 38, 420, False, 30),
    "chat": ChannelModel(540, 0.0, 0, 45, 600, True, 60, 2),
    "messaging": ChannelModel(480, 0.0, 0, 40, 3600, True, 300, 3),
    "email": ChannelModel(360, 0.0, 0, 70, float("inf"), False, 86400),
    "tier2": ChannelModel(430, 0.45, 90, 60, 480, False, 60),
}
BOT_CHANNELS = ("chat", "messaging", "self_service")

# A lean operation staffs a little below the requirement; some pools are tighter or looser.
STAFFING_LEVEL = 0.92
STAFFING_FACTOR = {
    "telecom-voice": 0.97,
    "banking-voice": 1.04,
    "travel-chat": 0.96,
    "telecom-chat": 1.2,
    "banking-chat": 1.1,
    "telecom-messaging": 1.1,
    "banking-email": 1.15,
    "travel-email": 1.15,
}
TIER2_QUEUE = "tier2"
TIER2_SITE = "Charlotte"

WEEKDAY_FACTOR = (1.12, 1.04, 1.0, 0.98, 1.0, 0.72, 0.55)  # Monday first


def queue_name(program: str, channel: str) -> str:
    return f"{program}-{channel}"


@dataclass(frozen=True)
class Pool:
    """Agents dedicated to one queue; a voice queue is served by agents of two sites as one
    virtual team (the longest-idle agent takes the next call, whatever the site)."""

    queue: str
    program: str
    channel: str  # voice, chat, messaging, email or tier2 (shared by all programs)
    sites: tuple[tuple[str, float], ...]  # site and its share of the pool's agents


def pools() -> list[Pool]:
    """Voice is split across the program's sites; digital desks sit at one site; one in-house
    tier-2 team takes the transfers of every program."""
    out: list[Pool] = []
    for prog in PROGRAMS:
        for channel in ("voice", "chat", "messaging", "email"):
            if channel not in prog.channel_mix:
                continue
            sites = prog.sites if channel == "voice" else {prog.desk_site: 1.0}
            out.append(Pool(queue_name(prog.name, channel), prog.name, channel,
                            tuple(sites.items())))
    out.append(Pool(TIER2_QUEUE, "all", "tier2", ((TIER2_SITE, 1.0),)))
    return out
