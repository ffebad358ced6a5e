"""Simulated CX operation that writes every canonical table as raw files (`cxpm demo`).

The simulation is a model, run in this order (simulate.py):
demand (demand.py: intraday/weekly seasonality, day noise and event days) -> an imperfect
week-ahead forecast and Erlang C requirement per queue -> roster with hires and leavers
(workforce.py) -> schedules placed on the forecast requirement with breaks, lunch and
off-phone activities where staff can be spared -> what agents actually did (late logins,
long breaks, aux time, unplanned absence) -> bots and self-service with escalations
(contacts.py; one intent planted to fail) -> an event-driven FCFS queue per pool with
impatient customers that only uses agents inside their productive windows (queueing.py) ->
transfers to a shared tier-2 team, which sends one intent's calls back to the front line (a
planted transfer loop; voice and tier 2 run as one event-driven queue) -> resolution, repeat
contacts, revenue (journeys.py) -> the ACD state log built from
the served contacts (states.py) -> surveys driven by what happened (feedback.py) -> QA
evaluations answering every item of the demo's forms, from the same risk, with a monthly
calibration session and one lenient evaluator (quality.py, answers.py, forms/) -> training
and monthly costs (ledger.py) -> canonical CSV, evaluations as import JSON (files.py).
build.py loads the files through ingest and cxpm qa and builds the journeys. The planted
frictions are described in operation.py.
"""

from cxpm.demo.simulate import DEFAULT_END_DATE, simulate_operation

__all__ = ["DEFAULT_END_DATE", "simulate_operation"]
