package ingest

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on the strings a batch keeps.
const (
	// MaxCategoryLen is the longest categorical value, in bytes.
	MaxCategoryLen = 256
	// MaxEntityLen is the longest entity id, in bytes.
	MaxEntityLen = 200
)

// kind is the JSON type of a value; CSV cells are all kText.
type kind uint8

const (
	kText   kind = iota // a CSV cell or a JSON string
	kNumber             // a JSON number; the text is its literal
	kBool               // a JSON true or false; the text is the literal
	kNull               // a JSON null; the text is ""
	kObject             // a JSON object; no text
	kArray              // a JSON array; no text
)

func (k kind) String() string {
	switch k {
	case kNumber:
		return "a number"
	case kBool:
		return "a boolean"
	case kNull:
		return "null"
	case kObject:
		return "an object"
	case kArray:
		return "an array"
	}
	return "a string"
}

// quote quotes s for a message, shortened to about 40 bytes.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// trimSpace trims ASCII spaces and tabs around numbers, labels and
// timestamps ("1, 2" is a common way to write CSV). It costs two byte
// comparisons when there is nothing to trim.
func trimSpace(s string) string {
	if s == "" || (s[0] != ' ' && s[0] != '\t' && s[len(s)-1] != ' ' && s[len(s)-1] != '\t') {
		return s
	}
	return strings.Trim(s, " \t")
}

// missingNum reports whether s spells a missing number. "NaN" and "nan"
// are not listed: strconv.ParseFloat reads them (in any case) as NaN,
// which means missing as well.
func missingNum(s string) bool {
	return s == "" || s == "NA" || s == "null"
}

// parseNum reads a numeric feature value: NaN for missing, else a finite
// float. msg is non-empty when the value is bad.
func parseNum(s string, k kind) (v float64, msg string) {
	switch k {
	case kNull:
		return math.NaN(), ""
	case kBool, kObject, kArray:
		return 0, "expected a number, got " + k.String()
	}
	s = trimSpace(s)
	if missingNum(s) {
		return math.NaN(), ""
	}
	v, err := parseFloat(s)
	if err != nil || math.IsInf(v, 0) {
		return 0, quote(s) + " is not a number"
	}
	return v, ""
}

// pow10 holds the powers of ten that are exact in a float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat is strconv.ParseFloat with a fast path for the plain decimals
// that fill most files ("0.056443", "-12", "3."): at most 19 digits, a
// mantissa below 2^53 and at most 22 decimals. Then the mantissa and the
// power of ten are exact float64s and one division rounds correctly
// (Clinger's fast path, which strconv also uses once it has read the
// number in its general way), so the result is the same, bit for bit.
func parseFloat(s string) (float64, error) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	var mant uint64
	digits, decimals, dot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if digits == 19 {
				return strconv.ParseFloat(s, 64)
			}
			mant = mant*10 + uint64(c-'0')
			digits++
			if dot {
				decimals++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return strconv.ParseFloat(s, 64)
		}
	}
	if digits == 0 || mant > 1<<53 || decimals >= len(pow10) {
		return strconv.ParseFloat(s, 64)
	}
	f := float64(mant) / pow10[decimals]
	if neg {
		f = -f
	}
	return f, nil
}
