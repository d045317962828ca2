package ingest

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	ms := func(y int, mo time.Month, d, h, mi, s, milli int) int64 {
		return time.Date(y, mo, d, h, mi, s, milli*1e6, time.UTC).UnixMilli()
	}
	tests := []struct {
		in   string
		want int64
	}{
		{"1996-05-07T00:30", ms(1996, 5, 7, 0, 30, 0, 0)},
		{"1996-05-07 00:30", ms(1996, 5, 7, 0, 30, 0, 0)},
		{"1996-05-07T00:30:15", ms(1996, 5, 7, 0, 30, 15, 0)},
		{"1996-05-07 00:30:15", ms(1996, 5, 7, 0, 30, 15, 0)},
		{"1996-05-07 00:30:15.25", ms(1996, 5, 7, 0, 30, 15, 250)},
		{"1996-05-07", ms(1996, 5, 7, 0, 0, 0, 0)},
		{"2024-02-29", ms(2024, 2, 29, 0, 0, 0, 0)},
		{"2000-02-29", ms(2000, 2, 29, 0, 0, 0, 0)},
		{"1969-12-31T23:59:59.999Z", -1},
		{"2024-03-10T12:00:00Z", ms(2024, 3, 10, 12, 0, 0, 0)},
		{"2024-03-10T12:00:00.123456789Z", ms(2024, 3, 10, 12, 0, 0, 123)},
		{"2024-03-10T12:00:00,5Z", ms(2024, 3, 10, 12, 0, 0, 500)},
		{"2024-03-10T12:00:00+05:30", ms(2024, 3, 10, 6, 30, 0, 0)},
		{"2024-03-10T12:00:00-08:00", ms(2024, 3, 10, 20, 0, 0, 0)},
		{"2024-03-10T2:00:00Z", ms(2024, 3, 10, 2, 0, 0, 0)}, // time.Parse takes a one-digit hour
		{"0000-01-01", ms(0, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59Z", ms(9999, 12, 31, 23, 59, 59, 0)},
		{"0", 0},
		{"831429000", 831429000000},
		{"831429000.5", 831429000500},
		{"-1.5", -1500},
		{"1.0005", 1001},
		{"8.31429e8", 831429000000},
		{"+12", 12000},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTime(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "yesterday", "1996-05-07T24:00", "1996-05-07T00:60", "1996-05-07T00:30:60", "1996-13-01", "1996-00-01",
		"1996-02-30", "1900-02-29", "1996-5-7", "96-05-07", "1996/05/07", "1996-05-07T", "1996-05-07T00",
		"1996-05-07T00:30Z", "1996-05-07 00:30:00Z", "1996-05-07t00:30:00z", "1996-05-07T00:30:00.Z",
		"1996-05-07T00:30:00+0530", "NaN", "Inf", "-inf", "0x10", "1_000", "1e20", "300000000000",
		"-70000000000", ".", "-", "1e", "07/05/1996", " 1996-05-07", "1996-05-07 ",
	}
	for _, s := range bad {
		if got, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) = %d, want an error", s, got)
		}
	}
	_, err := ParseTime("soon")
	if want := `bad timestamp "soon": use RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, 2006-01-02 or unix seconds`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// refParseTime is ParseTime written plainly with time.Parse.
func refParseTime(s string) (int64, bool) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 0 || t.Year() > 9999 {
				return 0, false
			}
			return t.UnixMilli(), true
		}
	}
	if strings.Trim(s, "0123456789.+-eE") != "" || strings.Trim(s, ".+-eE") == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < minUnixSec || v > maxUnixSec {
		return 0, false
	}
	return int64(math.Round(v * 1000)), true
}

func TestParseTimeMatchesTimeParse(t *testing.T) {
	t.Parallel()
	// Every day of a few years, at a few times, through both paths.
	start := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := start; d.Year() < 1905; d = d.Add(24*time.Hour + 7*time.Minute + 13*time.Second + 1e6) {
		for _, layout := range timeLayouts {
			s := d.Format(layout)
			want, _ := refParseTime(s)
			if got, err := ParseTime(s); err != nil || got != want {
				t.Fatalf("ParseTime(%q) = %d, %v; time.Parse: %d", s, got, err, want)
			}
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1996-05-07T00:30", "2024-03-10T12:00:00.123+05:30", "2024-02-29 23:59:59", "831429000.5", "0000-03-01", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		want, ok := refParseTime(s)
		if ok != (err == nil) || got != want && ok {
			t.Fatalf("ParseTime(%q) = %d, %v; reference %d, %v", s, got, err, want, ok)
		}
	})
}
