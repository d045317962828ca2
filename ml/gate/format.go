package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// num formats a metric value: three decimals, one above 100.
func num(v float64) string {
	if math.Abs(v) >= 100 {
		return strings.ReplaceAll(strconv.FormatFloat(v, 'f', 1, 64), "-", "−")
	}
	return strings.ReplaceAll(strconv.FormatFloat(v, 'f', 3, 64), "-", "−")
}

// signed formats a difference with its sign: "+0.012", "−0.004".
func signed(v float64) string {
	s := num(v)
	if !strings.HasPrefix(s, "−") {
		s = "+" + s
	}
	return s
}

// pval formats a p-value with two significant digits: "0.13", "0.0031",
// "< 0.0001".
func pval(p float64) string {
	switch {
	case p < 0.0001:
		return "< 0.0001"
	}
	return "= " + strconv.FormatFloat(p, 'g', 2, 64)
}

// level is the confidence level of a two-sided interval at alpha: "95%".
func level(alpha float64) string {
	return strconv.FormatFloat(100*(1-alpha), 'g', 4, 64) + "%"
}

// bytesStr formats a size in MiB or KiB.
func bytesStr(b float64) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", b/(1<<10))
}

// micros formats microseconds with thousands separators: "2,000 µs".
func micros(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + " µs"
}

// short formats a cut point: three significant digits.
func short(v float64) string {
	return strings.ReplaceAll(strconv.FormatFloat(v, 'g', 3, 64), "-", "−")
}
