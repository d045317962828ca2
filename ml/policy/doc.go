// Package policy decides whether a model is retrained now, how, and why.
//
// Every few seconds a job gathers the facts about a model into a State
// (newly profiled monitoring windows, new labels, past jobs, CPU used) and
// calls Evaluate with the model's ml.PolicyConfig. The Decision says
// whether to retrain (Outcome "fired"), whether a retrain was wanted but
// held back ("suppressed"), or whether nothing happened ("quiet"), with one
// line per trigger in words and numbers a person reads on the dashboard.
// The offline backtester replays history through the same function, so
// Evaluate is deterministic: it reads the clock only from State.Now.
//
// This is written by hand: no library combines retraining triggers,
// cooldown, budgets, strategy choice and a cost model like this.
//
// # Triggers
//
// Evaluate applies PolicyConfig.WithDefaults, then evaluates each
// configured trigger and writes one Reasons line for each, fired or not, in
// the fixed order manual, schedule, drift, decay, volume, cost_aware:
//
//   - manual fires whenever State.Manual is set.
//   - schedule fires when the schedule's next time after LastScheduled
//     (Created when it never fired) is at or before Now. Times are shown in
//     the schedule's time zone. A missed run fires once, not once per
//     missed run, provided the caller records Now as LastScheduled when it
//     acts on the decision.
//   - drift fires when a window's drift share reaches DriftTrigger.Share
//     (0: 0.5), or, with DriftTrigger.Prediction, when the champion's
//     scores drifted. The share is WeightedShare unless
//     DriftTrigger.Unweighted; a NaN or negative WeightedShare means
//     "unknown" and falls back to Share. A WeightedShare of 0 is taken at
//     its word: ml/drift always fills it (uniform weights without
//     importances), so 0 with drifted features means only features the
//     champion ignores drifted, which is what the weighted rule exists to
//     discount. The strongest window is reported.
//   - decay looks at windows with at least DecayTrigger.MinLabeled labels
//     and fires on a significant drop, or, unless SignificantOnly, on an
//     alarm of one of DecayTrigger.Detectors (empty: any detector). The
//     reported window is the significant one with the largest drop, else
//     the newest alarming one, else the one with the largest drop.
//   - volume fires when NewLabels reaches VolumeTrigger.Labels.
//   - cost_aware fires when the expected gain of retraining, in metric
//     points, times ValuePerPoint exceeds the predicted CPU-seconds (see
//     below).
//
// The automatic triggers combine as configured: any (the default and the
// fallback for an unknown value), all, or at_least AtLeast (below 1 counts
// as 1; more than are configured never fires). For all and at_least a
// "combine:" line follows the trigger lines. A manual request fires on its
// own. Decision.Fired lists every trigger whose own condition held, even
// when the combination did not: read Outcome, not Fired, to know whether
// to retrain.
//
// # Suppression
//
// When something fired, the first of these that applies suppresses it
// (Fired, Reasons, Strategy and Cost are still filled):
//
//  1. dedup: a retrain is already queued or running (also for manual);
//     the reason says which, with its job id when known ("a retrain is
//     already running (job 12)");
//  2. cooldown: Now is before LastTrain plus the cooldown (not for manual:
//     a person's request skips cooldown and budget);
//  3. budget: UsedDay or UsedWeek has reached its cap, or would pass it
//     with the predicted cost of this retrain (Cost.CPUSeconds, the point
//     estimate); caps of 0 are off.
//
// # Strategy
//
// A fixed Strategy (full, warm_start, online) is used as given, except that
// a warm start without a champion and an online update on a model that is
// not online-capable become full retrains. Manual.Strategy, when it names
// one of those three, overrides the policy's strategy under the same
// rules. Under auto: no champion, a manual request, or a schedule, drift or
// decay trigger means a full retrain; so does the FullEvery-th update since
// the last full retrain; otherwise a warm start, unless the cost-aware
// trigger fired and judged a full retrain the better value. Auto never
// picks online.
//
// # Cost model
//
// FitCost fits CPUSeconds = a + b·(rows×rounds) by least squares over the
// newest 30 past jobs of the same strategy (full, warm_start and online are
// separate groups; a job with no strategy counts as full), keeping a, b ≥ 0:
// a negative slope falls back to the ratio mean(cpu)/mean(rows×rounds), a
// negative intercept to a fit through the origin. One past job scales
// proportionally; none gives the default 0.05 s + 1.5 µs × rows×rounds.
// The band is ±2 residual standard deviations (clamped at 0) when the fit
// has residual degrees of freedom, ×0.5 to ×2 otherwise.
//
// Evaluate predicts a full retrain at TrainRows × its rounds. Without
// early stopping those are FullRounds (100 when 0). With
// State.EarlyStopping, FullRounds is only a cap, and the cost model was
// fitted on the rounds past retrains kept, so predicting at the cap would
// overstate the cost (and spend the budget) of a retrain that stops early:
// the rounds are the median of those the newest full retrains (up to 30,
// the same usable points FitCost takes) actually trained, halves rounded
// up, at most FullRounds; FullRounds when there are none. The estimate's
// Basis then ends with where the rounds came from ("for 5,000 rows × 12
// rounds, the median of the last 4 full retrains (early stopping; at most
// 100)").
//
// A warm start is predicted at WarmRows × WarmRounds, where WarmRows is
// State.WarmRows when set (at most TrainRows) and otherwise a quarter of
// TrainRows, a stand-in for "the newest data" when the caller knows
// nothing better. An online update is predicted at OnlineEvery rows × 1
// round.
//
// # Cost-aware rule
//
// The cost-aware trigger weighs what a retrain is expected to win back
// against what it costs, in the spirit of the cost-aware retraining
// literature: A. Mahadevan and M. Mathioudakis, "Cost-aware retraining for
// machine learning", Knowledge-Based Systems 293 (2024) (CARA, which
// retrains when the staleness cost outweighs the retraining cost), and
// F. Regol, L. Schwinn, K. Sprague, M. Coates and T. Markovich, "When to
// retrain a machine learning model", ICML 2025 (PMLR 267), which frames the
// decision as a trade-off between retraining cost and performance with an
// explicit cost ratio. The rule here is much simpler than either paper and
// is background, not an implementation of them:
//
// A strategy's expected gain, in points, comes from one of two models:
//
//	measured (at least 3 past updates of the strategy scored against the
//	model they replaced on rows neither had learned, GainPoint.Measured;
//	see MeasuredGain):
//	  rate  = mean + 1 standard error of Recovered/Labels over the newest 30
//	  gain  = rate × the new labels it would take in × 100
//	          (since the last full retrain for a full one, since the
//	          champion's data for the others)
//	otherwise, or when that is 0 or less, the gap model (see FitGain):
//	  gap   = State.Gap (champion's baseline − recent metric; NaN or ≤ 0: none)
//	  ratio = median of Recovered/Gap over at least 3 unmeasured past
//	          retrains with Gap > 0.005, clamped to [0, 1.5] (default 0.7)
//	  gain  = gap × ratio × 100 for a full retrain,
//	          0.6 × that for a warm start or an online update
//
//	pays  when gain × ValuePerPoint > predicted CPU-seconds
//
// The candidates are the strategies the policy could run now: under auto
// a full retrain, and a warm start when there is a champion and the next
// update is not due to be full. The cheapest candidate that pays is taken,
// so a full retrain is bought only when no cheaper update pays; when none
// pays the trigger is quiet and reports the best net value. Measured gains
// are scaled by staleness because a stale model gains more from an update,
// and made optimistic by their own standard error because one update's
// gain is noisy: an update whose worth is unsure keeps being tried (and
// so measured), one that measurably loses is not.
//
// A measured gain of 0 or less gives way to the gap model, so a policy
// whose updates once lost still wakes up when the champion decays. The
// live loop measures an update by the gate (challenger and champion on
// the same holdout); the backtester (ml/backtest) on the next batch.
//
// # The caller's part
//
// Evaluate keeps no state. The caller records what a decision consumed:
// LastScheduled (set it to Now when the schedule fired and the retrain is
// enqueued; left alone, a suppressed schedule fires again once the
// suppression lifts), and which drift and decay windows it has passed in
// (windows passed once and suppressed by cooldown or budget are not seen
// again unless the caller passes them again).
//
// The package is pure: no I/O, no app packages.
package policy
