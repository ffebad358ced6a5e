"""Quality: evaluation forms, scored evaluations of people and bots, the three critical-error
accuracies, statistically sized random samples and evaluator calibration.

forms.py / scoring.py   the form file format and how an evaluation is scored (pure)
form_store.py           form versions in the app database
evaluation_io.py        reading evaluation files (CSV, JSON) into `EvaluationInput`
evaluations.py          validating, scoring and saving evaluations (the API the web app calls)
sync.py                 copying saved evaluations into the warehouse for the metric engine
report.py               accuracies with intervals, sample adequacy, critical-error Pareto
stats.py / agreement.py sample sizes, intervals, inter-rater agreement (pure)
sampling.py             stratified random samples and evaluator assignment (pure)
sample_plan.py          drawing a sample of a workspace's contacts
calibration.py          calibration sessions and their report
"""
