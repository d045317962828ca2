package ingest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Timestamps must fall in years 0000 to 9999, the range the date layouts
// can write; unix seconds outside it are almost always milliseconds or
// microseconds sent by mistake.
const (
	minUnixSec = -62167219200 // 0000-01-01T00:00:00Z
	maxUnixSec = 253402300799 // 9999-12-31T23:59:59Z
)

// timeLayouts are the layouts ParseTime accepts, tried in order by the slow
// path. The fast path, parseDateTime, reads the same shapes by hand.
var timeLayouts = []string{
	time.RFC3339Nano, // also accepts RFC 3339 without a fraction
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTime reads a timestamp and returns it in unix milliseconds. It
// accepts RFC 3339 (with or without a fraction of a second), the naive
// layouts 2006-01-02T15:04:05, 2006-01-02T15:04, 2006-01-02 15:04:05,
// 2006-01-02 15:04 and 2006-01-02, which are taken as UTC, and unix seconds
// written as a decimal number, possibly fractional. Years must be 0000 to
// 9999. Fractions of a millisecond are truncated for the layouts and
// rounded for unix seconds.
//
// The common shapes are read by hand, without time.Parse, since a file has
// a timestamp on every row.
func ParseTime(s string) (int64, error) {
	if ms, ok := parseDateTime(s); ok {
		return ms, nil
	}
	if ms, ok := parseUnixSeconds(s); ok {
		return ms, nil
	}
	// Shapes the fast path does not take but time.Parse might, such as a
	// one-digit hour.
	if len(s) >= 10 && s[4] == '-' && isDigit(s[0]) {
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				if y := t.Year(); y < 0 || y > 9999 {
					break
				}
				return t.UnixMilli(), nil
			}
		}
	}
	return 0, timeError(s)
}

func timeError(s string) error {
	return errors.New(timeMsg(s))
}

func timeMsg(s string) string {
	return fmt.Sprintf("bad timestamp %s: use RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, 2006-01-02 or unix seconds", quote(s))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// num2 reads two decimal digits.
func num2(s string, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	if a > 9 || b > 9 {
		return 0, false
	}
	return int(a)*10 + int(b), true
}

// parseDateTime is the fast path of ParseTime for the date layouts: a
// shape check and digit arithmetic, no allocation.
func parseDateTime(s string) (int64, bool) {
	n := len(s)
	if n < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y1, ok1 := num2(s, 0)
	y2, ok2 := num2(s, 2)
	mo, ok3 := num2(s, 5)
	d, ok4 := num2(s, 8)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	secs := daysFromCivil(y, mo, d) * 86400
	if n == 10 {
		return secs * 1000, true
	}
	sep := s[10]
	if (sep != 'T' && sep != ' ') || n < 16 || s[13] != ':' {
		return 0, false
	}
	hh, ok1 := num2(s, 11)
	mm, ok2 := num2(s, 14)
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return 0, false
	}
	secs += int64(hh*3600 + mm*60)
	if n == 16 {
		return secs * 1000, true
	}
	if n < 19 || s[16] != ':' {
		return 0, false
	}
	ss, ok := num2(s, 17)
	if !ok || ss > 59 {
		return 0, false
	}
	secs += int64(ss)
	ms := int64(0)
	i := 19
	if i < n && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < n && isDigit(s[j]) {
			if j-i <= 3 {
				ms = ms*10 + int64(s[j]-'0')
			}
			j++
		}
		if j == i+1 {
			return 0, false
		}
		for k := j - i; k <= 3; k++ {
			ms *= 10
		}
		i = j
	}
	switch rest := s[i:]; {
	case rest == "":
	case sep != 'T':
		return 0, false
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := num2(rest, 1)
		om, ok2 := num2(rest, 4)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off := int64(oh*3600 + om*60)
		if rest[0] == '-' {
			off = -off
		}
		secs -= off
	default:
		return 0, false
	}
	return secs*1000 + ms, true
}

// parseUnixSeconds reads a decimal number of seconds since 1970 (no hex,
// no Inf or NaN) and rounds it to the millisecond.
func parseUnixSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits = true
		case c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < minUnixSec || v > maxUnixSec { // also rejects NaN
		return 0, false
	}
	return int64(math.Round(v * 1000)), true
}

// daysIn returns the number of days in month mo of year y (proleptic
// Gregorian).
func daysIn(y, mo int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// cumDays[m-1] is the number of days before month m in a common year.
var cumDays = [12]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

// daysFromCivil returns the days from 1970-01-01 to y-mo-d, for years 0 to
// 9999 of the proleptic Gregorian calendar. The divisions are unsigned
// by constants, so they compile to multiplications.
func daysFromCivil(y, mo, d int) int64 {
	u := uint(y)
	leapsBefore := (u+3)/4 - (u+99)/100 + (u+399)/400 // leap years in [0, y)
	days := 365*u + leapsBefore + uint(cumDays[mo-1]+d-1)
	if mo > 2 && u%4 == 0 && (u%100 != 0 || u%400 == 0) {
		days++
	}
	return int64(days) - 719528 // days from 0000-01-01 to 1970-01-01
}
