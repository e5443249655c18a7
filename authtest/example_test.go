package authtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/token"
)

func Example() {
	// runTest stands in for a test function: an Example has no *testing.T.
	runTest(func(t testing.TB) {
		iss := authtest.NewIssuer(t)
		ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		h := iss.Middleware(t)(ok) // execution tokens only
		task := uuid.New()

		for _, tok := range []token.Raw{
			iss.Execution(t, task),
			iss.Workload(t, task),                      // a class the route does not accept
			iss.Execution(t, task, authtest.Expired()), // expired beyond any leeway
		} {
			req := httptest.NewRequest(http.MethodGet, "/task-instances/"+task.String(), nil)
			req.Header.Set("Authorization", "Bearer "+string(tok))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			fmt.Println(rec.Code)
		}
	})
	// Output:
	// 200
	// 403
	// 401
}
