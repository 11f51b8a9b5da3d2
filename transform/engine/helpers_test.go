package engine

import (
	"strings"
	"testing"
)

const helpersSrc = `export function createIntegration(options, { a, b } = {}) {
	return { name: "@astrojs/node", hooks: { x: 1 } };
}
function createAppHandler(app) {
	const inner = () => { return 1; };
	return async (req, res, next, locals) => {
		if (req) {
			app.render(req);
		}
		return res;
	};
}
export const handler = make(app, options);
function nested() { const handler = 1; return handler; }
const served = 2;
export { served };
`

func TestSyntaxTreeHelpers(t *testing.T) {
	tr := mustParse(t, "dist/index.js", helpersSrc)

	integ := FunctionNamed(tr, "createIntegration")
	if len(integ) != 1 {
		t.Fatalf("FunctionNamed(createIntegration) = %d", len(integ))
	}
	if got := strings.Join(ParamNames(tr, integ[0]), ","); got != "options," {
		t.Errorf("ParamNames = %q, want \"options,\" (a destructured parameter has no name)", got)
	}
	if got := texts(tr, PropertyStrings(tr, ReturnedBy(tr, "createIntegration"), "name", nil)); strings.Join(got, "|") != `"@astrojs/node"` {
		t.Errorf("PropertyStrings(ReturnedBy) = %q", got)
	}

	app := FunctionNamed(tr, "createAppHandler")[0]
	handlers := ReturnedFunctions(tr, app)
	if len(handlers) != 1 || strings.Join(ParamNames(tr, handlers[0]), ",") != "req,res,next,locals" {
		t.Fatalf("ReturnedFunctions = %q: the nested arrow's own return must not count", texts(tr, handlers))
	}
	rets := OwnReturns(handlers[0])
	if len(rets) != 1 || tr.Text(rets[0]) != "return res;" {
		t.Errorf("OwnReturns = %q", texts(tr, rets))
	}
	render := CallsTo(tr, handlers[0], "app.render")
	if len(render) != 1 {
		t.Fatalf("CallsTo(app.render) = %d", len(render))
	}
	stmt := EnclosingStatement(render[0])
	if stmt == nil || tr.Text(stmt) != "app.render(req);" {
		t.Errorf("EnclosingStatement = %v", stmt)
	}
	if got := IndentOf(tr, stmt); got != "\t\t\t" {
		t.Errorf("IndentOf = %q, want three tabs", got)
	}

	var top, nested int
	for _, d := range VariableDeclarator(tr, nil, "handler") {
		if s := TopLevelStatement(tr, d); s != nil {
			top++
			if s.Type() != "export_statement" {
				t.Errorf("TopLevelStatement of the exported handler is a %s", s.Type())
			}
		} else {
			nested++
		}
	}
	if top != 1 || nested != 1 {
		t.Errorf("TopLevelStatement: %d top-level, %d nested handlers; want 1 and 1", top, nested)
	}
	if spec := ExportSpecifier(tr, "served"); spec == nil || tr.Text(spec) != "served" {
		t.Errorf("ExportSpecifier(served) = %v", spec)
	}
	if ExportSpecifier(tr, "handler") != nil {
		t.Error("ExportSpecifier found handler, which no export clause names")
	}
}
