"""The canonical warehouse tables. Everything else (ingest, docs, `cxpm schema`) reads these."""

from __future__ import annotations

from cxpm.schema.model import Column, Table, TimeOrder

CHANNELS = ("voice", "chat", "email", "messaging", "social", "self_service")
DIRECTIONS = ("inbound", "outbound")
HANDLERS = ("agent", "bot")
STATES = (
    "available",
    "on_contact",
    "wrap",
    "break",
    "lunch",
    "training",
    "meeting",
    "coaching",
    "offline",
    "other",
)
TERMINATION_TYPES = ("voluntary", "involuntary")
SUBJECT_TYPES = ("agent", "bot")
COST_TYPES = ("labor", "technology", "facilities", "vendor_invoice", "other")
ERROR_CATEGORIES = ("customer_critical", "business_critical", "compliance_critical",
                    "non_critical")


def _s(name: str, doc: str, **kw) -> Column:
    return Column(name, "string", doc, **kw)


def _ts(name: str, doc: str, **kw) -> Column:
    return Column(name, "timestamp", doc, **kw)


def _secs(name: str, doc: str) -> Column:
    return Column(name, "float", doc + " (seconds)", minimum=0)


def _b(name: str, doc: str, **kw) -> Column:
    return Column(name, "bool", doc, **kw)


CONTACTS = Table(
    name="contacts",
    doc=(
        "One row per interaction segment, human- or bot-handled. A transfer or escalation "
        "starts a new segment whose parent_contact_id points at the segment it came from."
    ),
    columns=(
        _s("contact_id", "Unique id of the segment", required=True),
        _s("parent_contact_id", "Segment this one was transferred or escalated from"),
        _s("customer_id", "Customer id; null when the customer is not known"),
        _s("channel", "Contact channel", enum=CHANNELS),
        _s("direction", "inbound or outbound", enum=DIRECTIONS),
        _s("handled_by", "agent or bot", enum=HANDLERS),
        _s("queue", "Queue, skill or service type"),
        _s("program", "Program (line of business / client)"),
        _s("site", "Site that handled the contact"),
        _s("vendor", "Outsourcing vendor; 'in-house' for own staff"),
        _s("agent_id", "Agent or bot id that handled the segment"),
        _ts("arrived_at", "Entered the queue or the bot", required=True),
        _ts("answered_at", "Answered by an agent or bot; null if never answered"),
        _ts("ended_at", "Segment ended"),
        _b("abandoned", "Customer left before being answered", required=True),
        _secs("talk_s", "Talk / handling time"),
        _secs("hold_s", "Hold time"),
        _secs("wrap_s", "After-contact work"),
        _b("transferred", "Segment ended in a transfer"),
        _b("escalated", "Bot segment escalated to a human"),
        _s("reason", "Contact reason / intent"),
        _b("resolved", "Disposition says the need was resolved"),
        Column("revenue", "float", "Revenue attributed to the contact"),
    ),
    key=("contact_id",),
    time_column="arrived_at",
    orders=(TimeOrder("arrived_at", "answered_at"), TimeOrder("arrived_at", "ended_at"),
            TimeOrder("answered_at", "ended_at")),
)

AGENT_STATES = Table(
    name="agent_states",
    doc="Agent state log from the ACD: what each agent was doing and when.",
    columns=(
        _s("agent_id", "Agent id", required=True),
        _s("state", "Agent state", required=True, enum=STATES),
        _ts("started_at", "State start", required=True),
        _ts("ended_at", "State end", required=True),
    ),
    key=("agent_id", "started_at"),
    time_column="started_at",
    orders=(TimeOrder("started_at", "ended_at"),),
)

SCHEDULES = Table(
    name="schedules",
    doc="Planned activities per agent, in the same vocabulary as agent states.",
    columns=(
        _s("agent_id", "Agent id", required=True),
        _s("activity", "Scheduled activity", required=True, enum=STATES),
        _ts("started_at", "Activity start", required=True),
        _ts("ended_at", "Activity end", required=True),
    ),
    key=("agent_id", "started_at"),
    time_column="started_at",
    orders=(TimeOrder("started_at", "ended_at"),),
)

FORECASTS = Table(
    name="forecasts",
    doc="Forecast snapshots: predicted volume and handle time per queue and interval.",
    columns=(
        _s("queue", "Queue", required=True),
        _ts("interval_start", "Interval start", required=True),
        Column("interval_s", "float", "Interval length (seconds)", required=True, minimum=1),
        Column("volume", "float", "Forecast contacts offered", required=True, minimum=0),
        Column("aht_s", "float", "Forecast average handle time (seconds)", minimum=0),
        Column("required_agents", "float", "Agents required on queue", minimum=0),
        _ts("created_at", "When the forecast was made", required=True),
        _s("horizon", "Horizon label, e.g. week-ahead", required=True),
    ),
    key=("queue", "interval_start", "created_at", "horizon"),
    time_column="interval_start",
)

EVALUATIONS = Table(
    name="evaluations",
    doc="Quality evaluations (transaction monitoring) of human and bot contacts.",
    columns=(
        _s("evaluation_id", "Evaluation id", required=True),
        _s("contact_id", "Evaluated contact"),
        _s("agent_id", "Evaluated agent or bot", required=True),
        _s("evaluator_id", "Evaluator"),
        _s("form_id", "Evaluation form"),
        Column("form_version", "int", "Version of the evaluation form", minimum=1),
        _ts("evaluated_at", "When evaluated", required=True),
        Column("score", "float", "Score 0-100", minimum=0, maximum=100),
        _b("customer_critical_error", "An error that harms the customer", required=True),
        _b("business_critical_error", "An error that harms the client's business", required=True),
        _b("compliance_critical_error", "An error that breaks law, regulation or policy",
           required=True),
        Column("noncritical_errors", "int", "Non-critical errors found", minimum=0),
        Column("noncritical_opportunities", "int", "Non-critical error opportunities",
               minimum=0),
        _s("calibration_session_id", "Calibration session, when scored for calibration"),
    ),
    key=("evaluation_id",),
    time_column="evaluated_at",
)

EVALUATION_ITEMS = Table(
    name="evaluation_items",
    doc=("Item-level answers of quality evaluations scored in cxpm (one row per form item); "
         "the evaluation's fields are repeated so items can be grouped like evaluations."),
    columns=(
        _s("evaluation_id", "Evaluation id", required=True),
        _s("item_id", "Form item", required=True),
        _s("section_id", "Form section"),
        _s("form_id", "Evaluation form"),
        Column("form_version", "int", "Version of the evaluation form", minimum=1),
        _s("category", "Error category of the item", required=True, enum=ERROR_CATEGORIES),
        _s("answer", "The answer as given (yes, no, na, a scale value or an option)"),
        _b("applicable", "False when answered not applicable or left blank", required=True),
        Column("points", "float", "Points earned", minimum=0),
        Column("max_points", "float", "Points possible", minimum=0),
        _b("error", "The answer is an error of the item's category", required=True),
        Column("opportunities", "int", "Error opportunities the item stands for", minimum=0),
        Column("errors", "int", "Errors counted", minimum=0),
        _s("contact_id", "Evaluated contact"),
        _s("agent_id", "Evaluated agent or bot"),
        _s("evaluator_id", "Evaluator"),
        _ts("evaluated_at", "When evaluated", required=True),
        _s("calibration_session_id", "Calibration session, when scored for calibration"),
    ),
    key=("evaluation_id", "item_id"),
    time_column="evaluated_at",
)

SURVEYS = Table(
    name="surveys",
    doc="Customer survey responses linked to contacts.",
    columns=(
        _s("survey_id", "Survey response id", required=True),
        _s("contact_id", "Contact surveyed"),
        _s("customer_id", "Customer"),
        _ts("responded_at", "When answered", required=True),
        Column("csat", "int", "Satisfaction 1-5", minimum=1, maximum=5),
        Column("nps", "int", "Likelihood to recommend 0-10", minimum=0, maximum=10),
        Column("ces", "int", "Customer effort 1-7", minimum=1, maximum=7),
        _b("resolved_reported", "Customer says the need was resolved"),
        _s("comment", "Free-text comment"),
    ),
    key=("survey_id",),
    time_column="responded_at",
)

ROSTER = Table(
    name="roster",
    doc="People (one row per agent): where they work, when they joined and left.",
    columns=(
        _s("agent_id", "Agent id", required=True),
        _s("name", "Display name"),
        _s("site", "Site"),
        _s("vendor", "Vendor; 'in-house' for own staff"),
        _s("team", "Team"),
        _s("supervisor_id", "Supervisor's agent id"),
        _ts("hired_at", "Hire date", required=True),
        _ts("terminated_at", "Leaving date; null while employed"),
        _s("termination_type", "voluntary or involuntary", enum=TERMINATION_TYPES),
        _ts("proficient_at", "Reached proficiency"),
    ),
    key=("agent_id",),
    time_column="hired_at",
    orders=(TimeOrder("hired_at", "terminated_at"), TimeOrder("hired_at", "proficient_at")),
)

TRAINING = Table(
    name="training",
    doc="Training and skills verification of agents and bots.",
    columns=(
        _s("subject_id", "Agent or bot id", required=True),
        _s("subject_type", "agent or bot", required=True, enum=SUBJECT_TYPES),
        _s("course", "Course or skill", required=True),
        _ts("completed_at", "Completion date", required=True),
        _b("verified", "Passed a skills verification", required=True),
        Column("score", "float", "Verification score 0-100", minimum=0, maximum=100),
    ),
    key=("subject_id", "course", "completed_at"),
    time_column="completed_at",
)

COSTS = Table(
    name="costs",
    doc="Costs per period, program, site and vendor.",
    columns=(
        _ts("period_start", "Period start", required=True),
        _ts("period_end", "Period end (exclusive)", required=True),
        _s("program", "Program"),
        _s("site", "Site"),
        _s("vendor", "Vendor"),
        _s("cost_type", "Cost type", required=True, enum=COST_TYPES),
        Column("amount", "float", "Amount", required=True),
        _s("currency", "ISO currency code", required=True),
    ),
    key=("period_start", "program", "site", "vendor", "cost_type"),
    time_column="period_start",
    orders=(TimeOrder("period_start", "period_end"),),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (CONTACTS, AGENT_STATES, SCHEDULES, FORECASTS, EVALUATIONS, EVALUATION_ITEMS,
              SURVEYS, ROSTER, TRAINING, COSTS)
}


def get_table(name: str) -> Table:
    """The canonical table called `name`; a clear error naming the valid ones otherwise."""
    from cxpm.errors import CxpmError

    try:
        return TABLES[name]
    except KeyError:
        raise CxpmError(
            f"unknown table {name!r}; canonical tables are: {', '.join(TABLES)}"
        ) from None
