package handlers_test

import (
	"strconv"
	"time"
)

func msToTS(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04") }

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func itoa(i int) string { return strconv.Itoa(i) }
