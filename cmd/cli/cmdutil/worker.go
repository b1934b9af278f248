package cmdutil

import "github.com/gantryhq/gantry/manager"

// Worker opens the in-process manager over the store (--store) and makes
// a worker of it (`gantry worker`); close the manager when Run returns.
func (f *Factory) Worker(name string, parallel int, log func(string)) (*manager.Manager, *manager.Worker, error) {
	m, err := f.Local(false)
	if err != nil {
		return nil, nil, err
	}
	w, err := m.NewWorker(manager.WorkerConfig{Name: name, Parallel: parallel, Log: log})
	if err != nil {
		_ = m.Close()
		return nil, nil, Exit(ExitUsage, err)
	}
	return m, w, nil
}
