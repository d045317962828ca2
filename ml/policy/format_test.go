package policy

import (
	"math"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	for x, want := range map[float64]string{
		0: "0", 1830: "1,830", 1234567.8: "1,234,568", 99.96: "100", 62: "62", 4.2: "4.2", 4.23: "4.23",
		0.3145: "0.315", 0.0875: "0.0875", -0.5: "-0.5", math.NaN(): "–", 150: "150",
	} {
		if got := num(x); got != want {
			t.Errorf("num(%v) = %q, want %q", x, got, want)
		}
	}
	for x, want := range map[float64]string{0.31: "0.31 s", 2.1e-6: "2.1 µs", 5e-4: "0.5 ms", 0: "0 s", 12: "12 s"} {
		if got := seconds(x); got != want {
			t.Errorf("seconds(%v) = %q, want %q", x, got, want)
		}
	}
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 112: "112th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
	if got := integer(-1234567); got != "-1,234,567" {
		t.Errorf("integer: %q", got)
	}
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		s, e time.Time
		want string
	}{
		{at(2, 0), at(9, 0), "2026-03-02 – 03-09"},
		{at(9, 14), at(9, 15), "2026-03-09 14:00 – 15:00"},
		{at(8, 22), at(9, 2), "2026-03-08 22:00 – 03-09 02:00"},
		{time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC), at(2, 0), "2025-12-29 – 2026-03-02"},
		{at(9, 14), time.Time{}, "2026-03-09 14:00"},
	} {
		if got := span(c.s, c.e, time.UTC); got != c.want {
			t.Errorf("span = %q, want %q", got, c.want)
		}
	}
}
