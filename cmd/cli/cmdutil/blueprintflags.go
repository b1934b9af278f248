package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
)

// BlueprintFlags are the flags of every command that reads a blueprint:
// inputs (-i FILE|KEY=VALUE, repeatable), import rules and the id seed.
type BlueprintFlags struct {
	Inputs      []string
	ImportRules []string
	Seed        int64
	// ResourcesDir and PluginsDir are --resources-dir and --plugins-dir
	// (else $GANTRY_RESOURCES_DIR and $GANTRY_PLUGINS_DIR).
	ResourcesDir string
	PluginsDir   string
	// PlanOnly (--plan-only, validate and plan) checks the language as
	// Cloudify does, without refusing what Gantry cannot run.
	PlanOnly bool
}

// Register adds the flags to cmd. withSeed adds --seed.
func (f *BlueprintFlags) Register(cmd *cobra.Command, withSeed bool) {
	cmd.Flags().StringArrayVarP(&f.Inputs, "inputs", "i", nil, "deployment inputs: a YAML/JSON file, KEY=VALUE, or inline YAML (repeatable)")
	cmd.Flags().StringArrayVar(&f.ImportRules, "import-rule", nil, "map an import URL prefix to a local folder: PREFIX=DIR (repeatable; also $GANTRY_IMPORT_RULES as PREFIX=DIR;PREFIX=DIR)")
	cmd.Flags().StringVar(&f.ResourcesDir, "resources-dir", "", "a Cloudify manager's resources folder: cloudify/types/types.yaml is read from DIR/cloudify/types/ by DSL version (default $"+tosca.EnvResourcesDir+", else Gantry's built-in types)")
	cmd.Flags().StringVar(&f.PluginsDir, "plugins-dir", "", "a plugin catalog DIR/NAME/VERSION/plugin[_1_N].yaml for plugin:NAME?version=SPEC imports (default $"+tosca.EnvPluginsDir+")")
	if withSeed {
		cmd.Flags().Int64Var(&f.Seed, "seed", 0, "seed for reproducible node-instance ids (0 = random)")
	}
}

// RegisterPlanOnly adds --plan-only (blueprints validate and plan).
func (f *BlueprintFlags) RegisterPlanOnly(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.PlanOnly, "plan-only", false, "check the blueprint for planning, as Cloudify's parser does: operations, workflows and functions Gantry cannot run (e.g. of a --plugins-dir plugin) are not refused; install still refuses them")
}

// Rules returns the import rules from the flags followed by those of the environment.
func (f *BlueprintFlags) Rules() ([]tosca.ImportRule, error) {
	var rules []tosca.ImportRule
	for _, r := range f.ImportRules {
		prefix, dir, ok := strings.Cut(r, "=")
		if !ok || prefix == "" || dir == "" {
			return nil, Exit(ExitUsage, fmt.Errorf("--import-rule %q: want PREFIX=DIR, e.g. http://www.getcloudify.org/spec/=./spec/", r))
		}
		rules = append(rules, tosca.ImportRule{Prefix: prefix, Dir: dir})
	}
	env, err := tosca.ImportRulesFromEnv()
	if err != nil {
		return nil, Exit(ExitUsage, fmt.Errorf("GANTRY_IMPORT_RULES: %w", err))
	}
	return append(rules, env...), nil
}

// ServiceWithInputs reads the inputs and the import rules and returns the
// Service resolving imports with those rules.
func (f *BlueprintFlags) ServiceWithInputs(fac *Factory) (api.Service, map[string]any, error) {
	inputs, err := ParseKV("--inputs", f.Inputs)
	if err != nil {
		return nil, nil, err
	}
	svc, err := f.Service(fac)
	return svc, inputs, err
}

// Service returns the Service resolving imports with the flags' rules.
func (f *BlueprintFlags) Service(fac *Factory) (api.Service, error) {
	rules, err := f.Rules()
	if err != nil {
		return nil, err
	}
	fac.SetImportRules(rules)
	fac.SetParseDirs(f.ResourcesDir, f.PluginsDir)
	return fac.Service()
}

// Parse parses and validates the blueprint at path: a main file, or a
// folder holding blueprint.yaml (as install takes it).
func (f *BlueprintFlags) Parse(path string) (*tosca.Blueprint, tosca.Problems, error) {
	path, err := manager.ResolveBlueprintPath(path)
	if err != nil {
		return nil, nil, Exit(ExitNotFound, err)
	}
	rules, err := f.Rules()
	if err != nil {
		return nil, nil, err
	}
	opts := tosca.Options{ImportRules: rules, ResourcesDir: f.ResourcesDir, PluginsDir: f.PluginsDir}.WithEnvDirs()
	if !f.PlanOnly {
		opts.Runtime = tosca.GantryRuntime()
	}
	bp, problems := tosca.Parse(path, opts)
	return bp, problems, nil
}

// Plan parses the blueprint, binds the inputs and expands node instances.
// Problems are returned, not wrapped in err.
func (f *BlueprintFlags) Plan(path string) (*tosca.Plan, tosca.Problems, error) {
	bp, problems, err := f.Parse(path)
	if err != nil || len(problems) > 0 {
		return nil, problems, err
	}
	inputs, err := tosca.ParseInputs(f.Inputs)
	if err != nil {
		return nil, nil, Exit(ExitUsage, err)
	}
	p, problems := bp.Prepare(inputs)
	if len(problems) > 0 {
		return nil, problems, nil
	}
	if err := plan.Expand(p, plan.Options{Seed: f.Seed}); err != nil {
		return nil, nil, Exit(ExitFailed, fmt.Errorf("planning %s: %w", path, err))
	}
	return p, nil, nil
}
