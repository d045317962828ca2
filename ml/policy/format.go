package policy

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
)

// group puts thousands separators into a string of digits: "45312" →
// "45,312".
func group(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// integer formats n with thousands separators.
func integer[T ~int | ~int64](n T) string {
	if n < 0 {
		return "-" + group(strconv.FormatInt(-int64(n), 10))
	}
	return group(strconv.FormatInt(int64(n), 10))
}

// num formats x for people: whole numbers with thousands separators from
// 100 up, three significant digits below, trailing zeros dropped.
func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "-∞"
	case x < 0:
		return "-" + num(-x)
	case x == 0:
		return "0"
	case x >= 99.95:
		return group(strconv.FormatFloat(math.Round(x), 'f', 0, 64))
	}
	s := strconv.FormatFloat(x, 'f', 2-int(math.Floor(math.Log10(x))), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// share formats a share with two decimals: 0.62.
func share(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// metric formats a metric value: three decimals for metrics such as AUC or
// accuracy, num for large ones such as RMSE.
func metric(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	if math.Abs(x) < 10 {
		return strconv.FormatFloat(x, 'f', 3, 64)
	}
	return num(x)
}

// pvalue formats a p-value: "p = 0.012", "p < 0.001".
func pvalue(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return "p = " + num(p)
}

// seconds formats a duration in seconds with a unit that keeps it short:
// "0.31 s", "2.1 µs".
func seconds(x float64) string {
	switch {
	case x == 0 || math.Abs(x) >= 0.01:
		return num(x) + " s"
	case math.Abs(x) >= 1e-4:
		return num(x*1e3) + " ms"
	default:
		return num(x*1e6) + " µs"
	}
}

// ordinal is 1st, 2nd, 3rd, 4th, 11th, 21st.
func ordinal(n int) string {
	suffix := "th"
	switch n % 10 {
	case 1:
		suffix = "st"
	case 2:
		suffix = "nd"
	case 3:
		suffix = "rd"
	}
	if n%100 >= 11 && n%100 <= 13 {
		suffix = "th"
	}
	return strconv.Itoa(n) + suffix
}

// plural is "1 update", "3 updates".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return integer(n) + " " + many
}

const stamp = "2006-01-02 15:04"

// when formats t in loc.
func when(t time.Time, loc *time.Location) string { return t.In(loc).Format(stamp) }

// clock formats t in loc, as a time of day alone when it falls on the same
// day as now.
func clock(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format(stamp)
}

// span formats a window: "2026-03-02 – 03-09" for whole days,
// "2026-03-02 14:00 – 15:00" within a day.
func span(start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	if end.IsZero() {
		return s.Format(stamp)
	}
	midnight := func(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 }
	if midnight(s) && midnight(e) {
		if s.Year() == e.Year() {
			return s.Format("2006-01-02") + " – " + e.Format("01-02")
		}
		return s.Format("2006-01-02") + " – " + e.Format("2006-01-02")
	}
	switch {
	case s.Year() == e.Year() && s.YearDay() == e.YearDay():
		return s.Format(stamp) + " – " + e.Format("15:04")
	case s.Year() == e.Year():
		return s.Format(stamp) + " – " + e.Format("01-02 15:04")
	}
	return s.Format(stamp) + " – " + e.Format(stamp)
}

// join is "a", "a and b", "a, b and c".
func join(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// strategyName is how reasons name a strategy.
func strategyName(s string) string {
	switch s {
	case ml.StrategyWarmStart:
		return "warm start"
	case ml.StrategyOnline:
		return "online update"
	}
	return "full retrain"
}

// article puts "a" or "an" before a strategy's name.
func article(name string) string {
	if strings.HasPrefix(name, "o") {
		return "an " + name
	}
	return "a " + name
}
