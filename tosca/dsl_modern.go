package tosca

import (
	"fmt"
	"strings"
)

// The grammar DSL 1_4 and 1_5 add, as cloudify-common 7.x's dsl_parser
// reads it. Version gates follow Cloudify: they apply to every file of
// the blueprint (imported types and plugin files too) against the main
// file's version; Gantry's built-in files are exempt.

// v1_5 is cloudify_dsl_1_5 (Cloudify 6.x/7.x).
var v1_5 = dslVersion{1, 5, 0}

// dbEntityTypes are the input types that name an object of the manager
// (TYPES_BASED_ON_DB_ENTITIES), with the version an input or workflow
// parameter of that type needs. Their values are strings, but a
// capability value, which is any value.
var dbEntityTypes = map[string]dslVersion{
	"blueprint_id": v1_4, "deployment_id": v1_4, "node_id": v1_4, "node_type": v1_4, "node_instance": v1_4,
	"scaling_group": v1_4, "secret_key": v1_4, "capability_value": v1_4, "operation_name": v1_5,
}

// stringLikeTypes are primitive types whose values are strings.
var stringLikeTypes = map[string]bool{"regex": true, "textarea": true}

// isModernPrimitive reports whether typ is a primitive type Cloudify 7
// adds to string, integer, float, boolean, list and dict.
func isModernPrimitive(typ string) bool {
	_, db := dbEntityTypes[typ]
	return db || stringLikeTypes[typ]
}

// coerceModern type-checks a value of a modern primitive type.
func (p *parser) coerceModern(v *ynode, typ, what string) (*ynode, bool) {
	if typ == "capability_value" || v.kind == kString {
		return v, true
	}
	p.add(v.pos, CodePropertyType, fmt.Sprintf("%s must be of type %s (a string), found %s", what, typ, v.kind), "")
	return v, false
}

// gateInputTypes reports inputs and workflow parameters whose type needs
// a newer DSL version than the blueprint's, and checks item_type.
func (p *parser) gateInputTypes(s *schema, what string) {
	for _, n := range s.order {
		ps := s.props[n]
		if min, ok := dbEntityTypes[ps.typ]; ok && !p.ver.atLeast(min) && !p.builtins[ps.pos.File] {
			p.add(ps.pos, CodeVersionFeature, fmt.Sprintf("%s '%s': type '%s' needs tosca_definitions_version %s or newer (this blueprint is %s)", what, n, ps.typ, min, p.ver),
				"raise tosca_definitions_version, or use type string")
		}
	}
}

// checkItemType checks an `item_type` (DSL 1_4): only for a list, and a
// primitive type. It returns the item type ("" when none or invalid).
func (p *parser) checkItemType(v *ynode, typ, what string) string {
	it := v.get("item_type")
	if it == nil {
		return ""
	}
	s, ok := p.str(it, what+" item_type")
	if !ok || s == "" {
		return ""
	}
	if typ != "list" {
		p.add(it.pos, CodeInvalidValue, fmt.Sprintf("%s has item_type but its type is '%s', not list", what, typ), "remove item_type, or make the type list")
		return ""
	}
	if !primitiveTypes[s] {
		p.add(it.pos, CodeInvalidValue, fmt.Sprintf("%s item_type '%s' is not a primitive type", what, s), "use string, integer, float, boolean, list, dict or an identifier type such as deployment_id")
		return ""
	}
	return s
}

var availabilityKeys = keys{"available": v1_4, "node_instances_active": v1_4, "node_types_required": v1_4}

// checkAvailabilityRules checks a workflow's availability_rules (1_4).
func (p *parser) checkAvailabilityRules(n *ynode, what string) {
	if n == nil || n.kind == kNull {
		return
	}
	what += " availability_rules"
	if !p.isMap(n, what, false) {
		return
	}
	p.strict(n, what, availabilityKeys)
	p.boolean(n.get("available"), what+" available", true)
	if a := n.get("node_instances_active"); a != nil {
		if a.kind != kSeq {
			p.add(a.pos, CodeWrongType, fmt.Sprintf("%s node_instances_active must be a list, found %s", what, a.kind), "a list of all, partial, none")
		} else {
			for _, it := range a.items {
				if s, _ := it.str(); s != "all" && s != "partial" && s != "none" {
					p.add(it.pos, CodeInvalidValue, fmt.Sprintf("%s node_instances_active has '%v'", what, it.plain()), "allowed: all, partial, none")
				}
			}
		}
	}
	if r := n.get("node_types_required"); r != nil && r.kind != kSeq {
		p.add(r.pos, CodeWrongType, fmt.Sprintf("%s node_types_required must be a list of node type names, found %s", what, r.kind), "")
	}
}

// checkDeploymentSettings checks `deployment_settings` (1_4): a mapping
// whose default_schedules maps names to schedules.
func (p *parser) checkDeploymentSettings(n *ynode) {
	if n == nil || n.kind == kNull || !p.isMap(n, "deployment_settings", false) {
		return
	}
	p.strict(n, "deployment_settings", keys{"default_schedules": v1_4, "display_name": v1_4})
	p.entries(n.get("default_schedules"), "deployment_settings default_schedules", func(name string, k, v *ynode) {
		what := fmt.Sprintf("default schedule '%s'", name)
		if !p.isMap(v, what, false) {
			return
		}
		p.strict(v, what, scheduleKeys)
		if p.required(v, "workflow", what) != nil {
			p.str(v.get("workflow"), what+" workflow")
		}
	})
}

var scheduleKeys = keys{"workflow": v1_4, "execution_arguments": v1_4, "workflow_parameters": v1_4, "since": v1_4,
	"until": v1_4, "recurrence": v1_4, "count": v1_4, "weekdays": v1_4, "rrule": v1_4, "slip": v1_4, "stop_on_fail": v1_4,
	"default_enabled": v1_4}

// dataConstraintOps are the constraints on identifier types (deployment_id,
// node_id, ...) that a manager checks against its database. Gantry checks
// their form; their values are assumed to exist, as Cloudify's parser does
// when it plans (manager-7/README.md).
func (p *parser) checkDataConstraint(c *constraint) bool {
	bad := func(want string) bool {
		p.add(c.arg.pos, CodeInvalidValue, fmt.Sprintf("constraint %s takes %s", c.op, want), "")
		return false
	}
	switch c.op {
	case "filter_id", "deployment_id":
		if c.arg.kind != kString && !isFunction(c.arg) {
			return bad("a string")
		}
	case "tenants":
		if c.arg.kind != kSeq {
			return bad("a list of tenant names")
		}
	case "labels":
		if c.arg.kind != kSeq {
			return bad("a list of {key: value} entries")
		}
		for _, it := range c.arg.items {
			if it.kind != kMap || len(it.keys) != 1 {
				return bad("a list of {key: value} entries")
			}
		}
	case "name_pattern":
		if c.arg.kind != kMap {
			return bad("a dict of starts_with, ends_with, contains, equals_to")
		}
		p.strict(c.arg, "constraint name_pattern", keys{"starts_with": v1_4, "ends_with": v1_4, "contains": v1_4, "equals_to": v1_4})
	}
	return true
}

// checkFor checks a value against the constraint; a list with an
// item_type is checked item by item (Cloudify 7).
func (c *constraint) checkFor(ps *propSchema, v any) string {
	if items, ok := v.([]any); ok && ps.itemType != "" {
		for _, it := range items {
			if msg := c.check(it); msg != "" {
				return "item " + fmt.Sprint(it) + " " + msg
			}
		}
		return ""
	}
	return c.check(v)
}

// isInlineOrURLMapping reports a workflow mapping that is Python code
// written in the blueprint (several lines) or a script URL (file://...),
// which a Cloudify 7 manager runs with the script plugin.
func isInlineOrURLMapping(impl string) bool {
	return strings.Contains(impl, "\n") || strings.HasPrefix(impl, "file://") ||
		strings.HasPrefix(impl, "http://") || strings.HasPrefix(impl, "https://")
}

// inlineWorkflow maps an inline or URL workflow to the script plugin. It
// validates and plans; it does not run in Gantry (declared, not
// runnable): with a Runtime, checkRunnable refuses it (it has no script
// in the blueprint's folder).
func (p *parser) inlineWorkflow(e *effOp, m *mappedOp, what string) bool {
	if p.bp.plugins[PluginScript] == nil {
		p.add(e.pos, CodeOpScriptPlugin, fmt.Sprintf("%s is inline code or a URL, run by the 'script' plugin, but no 'script' plugin is declared", what),
			"import cloudify/types/types.yaml, which declares the script plugin")
		return false
	}
	m.op.Plugin, m.op.Operation = PluginScript, OpScriptRunWorkflow
	return true
}

// centralScriptWithoutHost: from DSL 1_4, a script operation of a node
// without a host, whose executor is the script plugin's default, runs on
// the manager (central_deployment_agent), as Cloudify 7 plans it.
func (p *parser) centralScriptWithoutHost(t *template, m *mappedOp) {
	if t.hostID == "" && p.ver.atLeast(v1_4) && m.op.Plugin == PluginScript && !m.executorGiven && m.op.Executor == ExecutorHost {
		m.op.Executor = ExecutorCentral
	}
}

// unionSections are the sections several files may set the same key of
// (labels and tags a plugin file brings along with the blueprint's own).
var unionSections = map[string]bool{"labels": true, "blueprint_labels": true, "resource_tags": true}

// implicitDataDefault is the value of a data-typed property that has no
// default and no value: {} completed with its data type's defaults, when
// that leaves nothing required missing (Cloudify's parser gives such a
// property {} and fills it from the data type).
func (p *parser) implicitDataDefault(ps *propSchema, what string) (*ynode, bool) {
	if p.partial || p.bp.dataTypes[ps.typ] == nil {
		return nil, false
	}
	quiet := &parser{bp: p.bp, ver: p.ver}
	v, ok := quiet.coerce(&ynode{kind: kMap, pos: ps.pos}, ps.typ, fmt.Sprintf("property '%s' of %s", ps.name, what))
	if !ok || len(quiet.probs) > 0 {
		return nil, false
	}
	return v, true
}
