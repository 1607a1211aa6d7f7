package migrate

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The steps between 1.1 and 2.0: grouping (experiment, checkpoint, sources), the metrics
// fold and its inverse.

var fixedNames = []string{"precision", "recall", "hmean", "validation_loss"}

func up11to20(d *Doc) error {
	root := d.root
	metrics := mget(root, "metrics")
	if !isMap(metrics) {
		return shapeErr("/metrics", "a mapping")
	}
	if err := refuseCollisions(metrics); err != nil {
		return err // refuse first: nothing is folded silently
	}
	groupExperiment(root)
	groupCheckpoint(root)
	regroup(root, "hydra_config_path", "sources", "hydra_config")
	foldMetrics(root, metrics)
	stamp(d)
	return nil
}

// refuseCollisions: an additional_metrics entry named like a fixed field folds into it only
// when both are numbers and equal.
func refuseCollisions(metrics *yaml.Node) error {
	add := mget(metrics, "additional_metrics")
	if add != nil && !isNull(add) && !isMap(add) {
		return shapeErr("/metrics/additional_metrics", "a mapping")
	}
	var collide []string
	for _, name := range fixedNames {
		a := mget(add, name)
		if a == nil {
			continue
		}
		x, okx := number(a)
		y, oky := number(mget(metrics, name))
		if !okx || !oky || x != y {
			collide = append(collide, name)
		}
	}
	if len(collide) > 0 {
		sort.Strings(collide)
		return &CollisionError{Keys: collide}
	}
	return nil
}

// groupExperiment: exp_name and wandb_run_id become experiment: {name, wandb_run_id}.
func groupExperiment(root *yaml.Node) {
	if exp := regroup(root, "exp_name", "experiment", "name"); exp != nil {
		move(root, exp, "wandb_run_id", "wandb_run_id")
	}
}

// groupCheckpoint: checkpoint_path, lightning_version and checkpoint_fingerprint become
// checkpoint: {path, lightning_version, fingerprint}.
func groupCheckpoint(root *yaml.Node) {
	if ck := regroup(root, "checkpoint_path", "checkpoint", "path"); ck != nil {
		move(root, ck, "lightning_version", "lightning_version")
		move(root, ck, "checkpoint_fingerprint", "fingerprint")
	}
}

// foldMetrics builds 2.0 metrics: monitor and mode from checkpointing (dropped when that
// leaves it empty), keys 1.1 does not define, values (the fixed fields, then the
// additional_metrics entries not equal to one), and logged.
func foldMetrics(root, metrics *yaml.Node) {
	nm := mapping()
	nm.Style = metrics.Style
	if ck := mget(root, "checkpointing"); isMap(ck) {
		move(ck, nm, "monitor", "monitor")
		move(ck, nm, "mode", "mode")
		if len(ck.Content) == 0 {
			// Nothing left to hold: its comments go with the first key it gave away.
			ckK, _ := mdel(root, "checkpointing")
			if len(nm.Content) > 0 {
				adoptComments(nm.Content[0], ckK)
			}
		}
	}
	values := mapping()
	values.Style = metrics.Style
	for _, name := range fixedNames {
		move(metrics, values, name, name)
	}
	// logged records which names were additional_metrics (absent, null or a list, as
	// additional_metrics was absent, null or a mapping), so that 2.0 -> 1.1 restores it
	// exactly, entries that repeat a fixed field included. It takes additional_metrics's
	// comments.
	var loggedK, logged *yaml.Node
	if ak, a := mdel(metrics, "additional_metrics"); ak != nil {
		loggedK, logged = ak, null()
		loggedK.Value = "logged"
		if isMap(a) {
			logged = flowSeq()
			for k, v := range pairs(a) {
				logged.Content = append(logged.Content, str(k.Value))
				if fk, fv := entry(values, k.Value); fk != nil {
					// Equal to the fixed field (checked above); logged says it was both. Its
					// comments join the fixed field's.
					joinComments(fk, fv, k, v)
					continue
				}
				mappend(values, k, v)
			}
		}
		// A line comment goes after the flow list (yaml.v3 misplaces one on the key of a
		// flow value): from the key of a block additional_metrics or from a flow one.
		logged.LineComment = a.LineComment + loggedK.LineComment
		a.LineComment, loggedK.LineComment = "", ""
	}
	// Keys 1.1 does not define stay where they are so validation names them.
	nm.Content = append(nm.Content, metrics.Content...)
	if len(values.Content) > 0 {
		mappend(nm, str("values"), values)
	}
	if loggedK != nil {
		mappend(nm, loggedK, logged)
	}
	nm.HeadComment, nm.LineComment, nm.FootComment = metrics.HeadComment, metrics.LineComment, metrics.FootComment
	mset(root, "metrics", nm)
}

// ---- 2.0 -> 1.1 ----

// joinComments adds the comments of the pair (k2, v2) to those of (k, v).
func joinComments(k, v, k2, v2 *yaml.Node) {
	join := func(a, b string) string {
		if a == "" || b == "" {
			return a + b
		}
		return a + "\n" + b
	}
	k.HeadComment = join(k.HeadComment, k2.HeadComment)
	k.FootComment = join(k.FootComment, k2.FootComment)
	if v.Kind == yaml.ScalarNode {
		v.LineComment = join(v.LineComment, strings.TrimSpace(k2.LineComment+" "+v2.LineComment))
	} else {
		k.LineComment = join(k.LineComment, k2.LineComment)
	}
}

// adoptComments puts the comments of key node from above key node to.
func adoptComments(to, from *yaml.Node) {
	var cs []string
	for _, c := range []string{from.HeadComment, from.LineComment, from.FootComment, to.HeadComment} {
		if c != "" {
			cs = append(cs, c)
		}
	}
	to.HeadComment = strings.Join(cs, "\n")
}

func isFixed(name string) bool { return contains(fixedNames, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// keyOr renames key k (keeping its comments) or makes a new key node.
func keyOr(k *yaml.Node, name string) *yaml.Node {
	if k == nil {
		return str(name)
	}
	k.Value = name
	return k
}

func lineComment(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.LineComment
}

func down20to11(d *Doc) error {
	root := d.root
	metrics, model := mget(root, "metrics"), mget(root, "model")
	if !isMap(metrics) {
		return shapeErr("/metrics", "a mapping")
	}
	if !isMap(model) {
		return shapeErr("/model", "a mapping")
	}
	logged, err := checkDown(d, metrics, model)
	if err != nil {
		return err
	}
	mdel(model, "components")
	// 1.x keeps these at the end, in this order: hydra_config_path, wandb_run_id,
	// lightning_version, checkpoint_fingerprint, provenance.
	var tail, ckTail []*yaml.Node
	if exp := ungroup(root, "experiment", "exp_name", "name"); exp != nil {
		if !isMap(exp) {
			return shapeErr("/experiment", "a mapping")
		}
		tail = takePair(tail, exp, "wandb_run_id", "wandb_run_id")
	}
	if ck := ungroup(root, "checkpoint", "checkpoint_path", "path"); ck != nil {
		if !isMap(ck) {
			return shapeErr("/checkpoint", "a mapping")
		}
		ckTail = takePair(ckTail, ck, "lightning_version", "lightning_version")
		ckTail = takePair(ckTail, ck, "fingerprint", "checkpoint_fingerprint")
	}
	if src := mget(root, "sources"); isMap(src) && mhas(src, "hydra_config") {
		ungroup(root, "sources", "hydra_config_path", "hydra_config")
		k, v := mdel(root, "hydra_config_path")
		tail = append([]*yaml.Node{k, v}, tail...)
	} else {
		mdel(root, "sources")
	}
	monK, monV, modeK, modeV := unfoldMetrics(root, metrics, logged)
	ck := mget(root, "checkpointing")
	if !isMap(ck) {
		ck = mapping()
		if !replace(root, "checkpointing", ck) {
			minsert(root, mindex(root, "metrics")+2, str("checkpointing"), ck)
		}
	}
	minsert(ck, 0, monK, monV)
	minsert(ck, 2, modeK, modeV)

	tail = append(tail, ckTail...)
	tail = takePair(tail, root, "provenance", "provenance")
	root.Content = append(root.Content, tail...)
	stamp(d)
	return nil
}

// takePair removes key from m and appends it to list as name, comments kept.
func takePair(list []*yaml.Node, m *yaml.Node, key, name string) []*yaml.Node {
	if k, v := mdel(m, key); k != nil {
		k.Value = name
		list = append(list, k, v)
	}
	return list
}

// checkDown refuses what 1.1 cannot take: missing required facts (*RequiredError, even with
// AllowLossy), and facts it has no place for (*LossError unless AllowLossy). It returns
// the names metrics.logged lists.
func checkDown(d *Doc, metrics, model *yaml.Node) (map[string]bool, error) {
	var loss lossTracker
	var missing []string
	for _, k := range []string{"monitor", "mode"} {
		if isNull(mget(metrics, k)) {
			missing = append(missing, Pointer("metrics", k))
		}
	}
	for _, k := range []string{"encoder", "decoder", "head", "loss"} {
		if isNull(mget(model, k)) {
			missing = append(missing, Pointer("model", k))
		}
	}
	if len(missing) > 0 {
		return nil, &RequiredError{From: "2.0", To: "1.1", Fields: missing}
	}
	if !isNull(mget(metrics, "best")) {
		loss.add("/metrics/best")
	}
	for k := range pairs(mget(model, "components")) {
		loss.add(Pointer("model", "components", k.Value))
	}
	values := mget(metrics, "values")
	logged := map[string]bool{}
	if l := mget(metrics, "logged"); l != nil && l.Kind == yaml.SequenceNode {
		for _, n := range l.Content {
			if !mhas(values, n.Value) {
				return nil, shapeErr(Pointer("metrics", "logged"), "a list of names in metrics.values (it names "+n.Value+")")
			}
			logged[n.Value] = true
		}
	}
	for k, v := range pairs(values) {
		// 1.x additional_metrics holds numbers only; a null (unknown, like best: null)
		// has nothing to lose and is left out.
		if !isFixed(k.Value) && !isNull(v) && !isNumber(v) {
			loss.add(Pointer("metrics", "values", k.Value))
		}
	}
	// Keys 1.1 has no place for.
	for _, sec := range []struct {
		key   string
		known []string
	}{{"experiment", []string{"name", "wandb_run_id"}}, {"checkpoint", []string{"path", "lightning_version", "fingerprint"}}, {"sources", []string{"hydra_config"}}} {
		for k := range pairs(mget(d.root, sec.key)) {
			if !contains(sec.known, k.Value) {
				loss.add(Pointer(sec.key, k.Value))
			}
		}
	}
	return logged, loss.check(d, "2.0", "1.1")
}

// unfoldMetrics builds 1.x metrics from 2.0's: the fixed fields, keys 1.1 does not define
// (for validation to name), and additional_metrics rebuilt from logged. It returns the
// monitor and mode pairs, which go back to checkpointing.
func unfoldMetrics(root, metrics *yaml.Node, logged map[string]bool) (monK, monV, modeK, modeV *yaml.Node) {
	nm := mapping()
	nm.Style = metrics.Style
	nm.HeadComment, nm.LineComment, nm.FootComment = metrics.HeadComment, metrics.LineComment, metrics.FootComment
	monK, monV = mdel(metrics, "monitor")
	modeK, modeV = mdel(metrics, "mode")
	mdel(metrics, "best")
	_, values := mdel(metrics, "values")
	loggedK, loggedV := mdel(metrics, "logged")
	// additional_metrics: the logged names in their order (a fixed name among them is a
	// copy of the fixed field), then any other non-fixed value; absent or null as logged
	// was, when there is nothing else to hold.
	add := flowMap()
	if isMap(values) {
		add.Style = values.Style
		if loggedV != nil && loggedV.Kind == yaml.SequenceNode {
			for _, n := range loggedV.Content {
				k, v := entry(values, n.Value)
				switch {
				case isNull(v): // unknown: 1.x additional_metrics holds numbers only
				case isFixed(n.Value):
					mappend(add, str(n.Value), cloneScalar(v))
				default:
					mappend(add, k, v)
				}
			}
		}
		for _, name := range fixedNames {
			move(values, nm, name, name)
		}
		for k, v := range pairs(values) {
			if !logged[k.Value] && !isNull(v) {
				mappend(add, k, v)
			}
		}
	}
	nm.Content = append(nm.Content, metrics.Content...) // anything unknown stays for validation to name
	switch {
	case len(add.Content) > 0 || (loggedV != nil && loggedV.Kind == yaml.SequenceNode):
		if len(add.Content) == 0 {
			add.Style = yaml.FlowStyle
		}
		loggedK = keyOr(loggedK, "additional_metrics")
		if add.Style&yaml.FlowStyle != 0 {
			add.LineComment = lineComment(loggedV)
		} else {
			loggedK.LineComment = lineComment(loggedV) // where the parser puts it for a block mapping
		}
		mappend(nm, loggedK, add)
	case loggedV != nil: // logged: null
		mappend(nm, keyOr(loggedK, "additional_metrics"), loggedV)
	}
	mset(root, "metrics", nm)
	return monK, monV, modeK, modeV
}
