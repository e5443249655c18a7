package scope_test

import (
	"fmt"

	"github.com/execauth/execauth/scope"
)

func ExampleParse() {
	set, err := scope.Parse("execution connections:read")
	if err != nil {
		panic(err)
	}
	class, err := set.Class()
	if err != nil {
		panic(err)
	}
	fmt.Println(class, set.HasAll("connections:read"), set.HasAll("variables:write"))
	// Output: execution true false
}
