package vnstream

import (
	"fmt"
	"strings"

	v1 "github.com/vnstream/vnstream/clients/go/gen/vnstream/v1"
)

// FormatDecimal prints a vnstream.v1.Decimal exactly (units + nanos/1e9),
// without trailing zeros: {32600, 0} -> "32600", {-1, -250000000} -> "-1.25".
func FormatDecimal(d *v1.Decimal) string {
	units, nanos := d.GetUnits(), d.GetNanos()
	sign := ""
	if units < 0 || nanos < 0 {
		sign, units, nanos = "-", -units, -nanos
	}
	if nanos == 0 {
		return fmt.Sprintf("%s%d", sign, units)
	}
	return fmt.Sprintf("%s%d.%s", sign, units, strings.TrimRight(fmt.Sprintf("%09d", nanos), "0"))
}
