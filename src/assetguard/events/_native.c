/* Native walk of the frozen rule index (assetguard.events.machine.RuleMachine).
 *
 * The Python side lowers every trie node into a ``Node``: the names it proves, its checked
 * entries (a name and the residual tests the trie did not prove) and its edges (a key space's
 * slot, and a dict from key to child ``Node``, or for prefix edges the sorted prefixes and bounds
 * with what each stretch between them reaches). ``visit(root, values, matched)`` walks it for one
 * event's slot values and adds each matching name to ``matched`` (a dict used as an ordered set).
 *
 * Only the common cases are done here: string lookups, bisection over prefixes, numeric ranges,
 * anything-but string sets and one-star wildcards. Anything else (a value that is absent, an
 * array, another type; other operators) calls the rule's own Python predicate, so the semantics
 * stay those of assetguard.events.pattern_operators. Nodes form a tree (no reference cycles), so
 * the type is not tracked by the garbage collector.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

enum { CHECK_CALL = 0, CHECK_RANGE = 1, CHECK_NOT_ONE_OF = 2, CHECK_WILDCARD = 3, CHECK_AFFIXES = 4 };
enum { EDGE_EXACT = 0, EDGE_PREFIX = 1, EDGE_FOLDED = 2, EDGE_TYPED = 3 };

static PyObject *MISSING = NULL;   /* event_leaves.MISSING: an absent slot */
static PyObject *VALUE_KEY = NULL; /* pattern_operators.value_key: typed exact keys */
static PyObject *LOWER = NULL;     /* interned "lower" */

typedef struct {
    Py_ssize_t slot;
    int kind;
    int allow_absent;
    int low_closed;
    int high_closed;
    Py_ssize_t min_len;
    PyObject *a; /* RANGE: low; NOT_ONE_OF: excluded set; WILDCARD: fullmatch; AFFIXES: head or NULL */
    PyObject *b; /* RANGE: high; AFFIXES: tail or NULL */
    PyObject *accepts;
} Check;

typedef struct {
    PyObject *name;
    Py_ssize_t count;
    Check *checks;
} Entry;

typedef struct {
    int kind;
    Py_ssize_t slot;
    PyObject *map;     /* EXACT / FOLDED / TYPED: key -> Node; PREFIX: list of sorted points */
    PyObject *reached; /* PREFIX: tuple, len(points) + 1 items, each None or a tuple of Nodes */
} Edge;

typedef struct {
    PyObject_HEAD
    PyObject *names; /* tuple */
    Py_ssize_t entry_count;
    Entry *entries;
    Py_ssize_t edge_count;
    Edge *edges;
} NodeObject;

static PyTypeObject NodeType;

/* ------------------------------------------------------------------ construction */

static void free_parts(NodeObject *self) {
    if (self->entries != NULL) {
        for (Py_ssize_t i = 0; i < self->entry_count; i++) {
            Entry *e = &self->entries[i];
            Py_XDECREF(e->name);
            if (e->checks != NULL) {
                for (Py_ssize_t j = 0; j < e->count; j++) {
                    Py_XDECREF(e->checks[j].a);
                    Py_XDECREF(e->checks[j].b);
                    Py_XDECREF(e->checks[j].accepts);
                }
                PyMem_Free(e->checks);
            }
        }
        PyMem_Free(self->entries);
        self->entries = NULL;
    }
    if (self->edges != NULL) {
        for (Py_ssize_t i = 0; i < self->edge_count; i++) {
            Py_XDECREF(self->edges[i].map);
            Py_XDECREF(self->edges[i].reached);
        }
        PyMem_Free(self->edges);
        self->edges = NULL;
    }
    Py_CLEAR(self->names);
}

static void Node_dealloc(NodeObject *self) {
    free_parts(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int is_node_tuple(PyObject *t) {
    if (!PyTuple_Check(t)) return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        if (!PyObject_TypeCheck(PyTuple_GET_ITEM(t, i), &NodeType)) return 0;
    }
    return 1;
}

static int parse_check(PyObject *spec, Check *c) {
    /* (slot, kind, a, b, low_closed, high_closed, accepts, allow_absent) */
    PyObject *a, *b, *accepts;
    if (!PyTuple_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "a check is a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(spec, "niOOppOp", &c->slot, &c->kind, &a, &b, &c->low_closed, &c->high_closed,
                          &accepts, &c->allow_absent)) {
        return -1;
    }
    if (c->slot < 0 || c->kind < CHECK_CALL || c->kind > CHECK_AFFIXES || !PyCallable_Check(accepts)) {
        PyErr_SetString(PyExc_ValueError, "bad check: slot < 0, unknown kind or accepts not callable");
        return -1;
    }
    c->min_len = 0;
    if (c->kind == CHECK_NOT_ONE_OF && !PyAnySet_Check(a)) {
        PyErr_SetString(PyExc_TypeError, "anything-but check: a set of strings expected");
        return -1;
    }
    if (c->kind == CHECK_WILDCARD && !PyCallable_Check(a)) {
        PyErr_SetString(PyExc_TypeError, "wildcard check: a fullmatch callable expected");
        return -1;
    }
    if (c->kind == CHECK_AFFIXES) {
        if ((a != Py_None && !PyUnicode_Check(a)) || (b != Py_None && !PyUnicode_Check(b))) {
            PyErr_SetString(PyExc_TypeError, "wildcard affixes: strings or None expected");
            return -1;
        }
        if (a != Py_None) c->min_len += PyUnicode_GET_LENGTH(a);
        if (b != Py_None) c->min_len += PyUnicode_GET_LENGTH(b);
    }
    c->a = (a == Py_None && c->kind != CHECK_RANGE) ? NULL : Py_NewRef(a);
    c->b = (b == Py_None && c->kind != CHECK_RANGE) ? NULL : Py_NewRef(b);
    c->accepts = Py_NewRef(accepts);
    return 0;
}

static int parse_edge(PyObject *spec, Edge *e) {
    /* (kind, slot, map, reached) */
    PyObject *map, *reached;
    if (!PyTuple_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "an edge is a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(spec, "inOO", &e->kind, &e->slot, &map, &reached)) return -1;
    if (e->slot < 0 || e->kind < EDGE_EXACT || e->kind > EDGE_TYPED) {
        PyErr_SetString(PyExc_ValueError, "bad edge: slot < 0 or unknown kind");
        return -1;
    }
    if (e->kind == EDGE_PREFIX) {
        if (!PyList_CheckExact(map) || !PyTuple_CheckExact(reached) ||
            PyTuple_GET_SIZE(reached) != PyList_GET_SIZE(map) + 1) {
            PyErr_SetString(PyExc_TypeError, "prefix edge: a list of points and a tuple one longer expected");
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(map); i++) {
            if (!PyUnicode_CheckExact(PyList_GET_ITEM(map, i))) {
                PyErr_SetString(PyExc_TypeError, "prefix edge: points must be strings");
                return -1;
            }
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(reached); i++) {
            PyObject *r = PyTuple_GET_ITEM(reached, i);
            if (r != Py_None && !is_node_tuple(r)) {
                PyErr_SetString(PyExc_TypeError, "prefix edge: each stretch reaches None or a tuple of Nodes");
                return -1;
            }
        }
        e->reached = Py_NewRef(reached);
    } else {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        if (!PyDict_CheckExact(map)) {
            PyErr_SetString(PyExc_TypeError, "edge: a dict of children expected");
            return -1;
        }
        while (PyDict_Next(map, &pos, &key, &value)) {
            if (!PyObject_TypeCheck(value, &NodeType)) {
                PyErr_SetString(PyExc_TypeError, "edge: every child must be a Node");
                return -1;
            }
        }
        e->reached = NULL;
    }
    e->map = Py_NewRef(map);
    return 0;
}

static int Node_init(NodeObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"names", "entries", "edges", NULL};
    PyObject *names, *entries, *edges;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!", kwlist, &PyTuple_Type, &names, &PyTuple_Type,
                                     &entries, &PyTuple_Type, &edges)) {
        return -1;
    }
    free_parts(self);
    self->names = Py_NewRef(names);
    self->entry_count = PyTuple_GET_SIZE(entries);
    self->entries = PyMem_Calloc(self->entry_count ? self->entry_count : 1, sizeof(Entry));
    self->edge_count = PyTuple_GET_SIZE(edges);
    self->edges = PyMem_Calloc(self->edge_count ? self->edge_count : 1, sizeof(Edge));
    if (self->entries == NULL || self->edges == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < self->entry_count; i++) {
        PyObject *spec = PyTuple_GET_ITEM(entries, i), *checks;
        Entry *e = &self->entries[i];
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 2 || !PyTuple_Check(PyTuple_GET_ITEM(spec, 1))) {
            PyErr_SetString(PyExc_TypeError, "an entry is (name, tuple of checks)");
            goto fail;
        }
        checks = PyTuple_GET_ITEM(spec, 1);
        e->name = Py_NewRef(PyTuple_GET_ITEM(spec, 0));
        e->checks = PyMem_Calloc(PyTuple_GET_SIZE(checks) ? PyTuple_GET_SIZE(checks) : 1, sizeof(Check));
        if (e->checks == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(checks); j++) {
            if (parse_check(PyTuple_GET_ITEM(checks, j), &e->checks[j]) < 0) goto fail;
            e->count = j + 1;
        }
    }
    for (Py_ssize_t i = 0; i < self->edge_count; i++) {
        if (parse_edge(PyTuple_GET_ITEM(edges, i), &self->edges[i]) < 0) {
            self->edge_count = i; /* only the parsed ones hold references */
            goto fail;
        }
    }
    return 0;
fail:
    free_parts(self);
    self->entry_count = self->edge_count = 0;
    return -1;
}

/* ------------------------------------------------------------------ matching */

static int visit_node(NodeObject *node, PyObject *values, PyObject *matched);

static int truth_of_call(PyObject *fn, PyObject *arg) {
    PyObject *r = PyObject_CallOneArg(fn, arg);
    int t;
    if (r == NULL) return -1;
    t = PyObject_IsTrue(r);
    Py_DECREF(r);
    return t;
}

/* node_visitors.slow: absent -> allow_absent; an array -> any item accepted; else accepts(value). */
static int check_slow(PyObject *x, PyObject *accepts, int allow_absent) {
    if (x == MISSING) return allow_absent;
    if (PyList_CheckExact(x)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(x); i++) {
            PyObject *item = Py_NewRef(PyList_GET_ITEM(x, i));
            int t = truth_of_call(accepts, item);
            Py_DECREF(item);
            if (t != 0) return t;
        }
        return 0;
    }
    return truth_of_call(accepts, x);
}

static int check_passes(const Check *c, PyObject *x) {
    int r;
    switch (c->kind) {
    case CHECK_RANGE:
        if (PyLong_CheckExact(x) || PyFloat_CheckExact(x)) {
            r = PyObject_RichCompareBool(c->a, x, c->low_closed ? Py_LE : Py_LT);
            if (r <= 0) return r;
            return PyObject_RichCompareBool(x, c->b, c->high_closed ? Py_LE : Py_LT);
        }
        break;
    case CHECK_NOT_ONE_OF:
        if (PyUnicode_CheckExact(x)) {
            r = PySet_Contains(c->a, x);
            return r < 0 ? -1 : !r;
        }
        break;
    case CHECK_AFFIXES:
        if (PyUnicode_CheckExact(x)) {
            if (PyUnicode_GET_LENGTH(x) < c->min_len) return 0;
            if (c->a != NULL) {
                r = (int)PyUnicode_Tailmatch(x, c->a, 0, PY_SSIZE_T_MAX, -1);
                if (r <= 0) return r;
            }
            if (c->b != NULL) return (int)PyUnicode_Tailmatch(x, c->b, 0, PY_SSIZE_T_MAX, 1);
            return 1;
        }
        break;
    case CHECK_WILDCARD:
        if (PyUnicode_CheckExact(x)) {
            PyObject *m = PyObject_CallOneArg(c->a, x);
            if (m == NULL) return -1;
            r = m != Py_None;
            Py_DECREF(m);
            return r;
        }
        break;
    default:
        break;
    }
    return check_slow(x, c->accepts, c->allow_absent);
}

static inline PyObject *slot_value(PyObject *values, Py_ssize_t slot) {
    if (slot >= PyList_GET_SIZE(values)) {
        PyErr_SetString(PyExc_IndexError, "rule index slot beyond the event's slot values");
        return NULL;
    }
    return PyList_GET_ITEM(values, slot);
}

static int reach_node(PyObject *child, PyObject *values, PyObject *matched) {
    int r;
    Py_INCREF(child);
    r = visit_node((NodeObject *)child, values, matched);
    Py_DECREF(child);
    return r;
}

/* Look ``key`` up in ``map`` and visit the child found; an unhashable key finds nothing. */
static int lookup_reach(PyObject *map, PyObject *key, PyObject *values, PyObject *matched) {
    PyObject *child = PyDict_GetItemWithError(map, key);
    if (child == NULL) {
        if (PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
            PyErr_Clear();
        }
        return 0;
    }
    return reach_node(child, values, matched);
}

static Py_ssize_t bisect_right(PyObject *points, PyObject *text) {
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(points);
    int exact = PyUnicode_CheckExact(text);
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        PyObject *p = PyList_GET_ITEM(points, mid);
        int less;
        if (exact) {
            less = PyUnicode_Compare(text, p) < 0;
        } else {
            less = PyObject_RichCompareBool(text, p, Py_LT);
            if (less < 0) return -1;
        }
        if (less) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int edge_item(const Edge *e, PyObject *item, PyObject *values, PyObject *matched) {
    switch (e->kind) {
    case EDGE_EXACT:
        return lookup_reach(e->map, item, values, matched);
    case EDGE_TYPED: {
        PyObject *key = PyObject_CallOneArg(VALUE_KEY, item);
        int r;
        if (key == NULL) return -1;
        r = lookup_reach(e->map, key, values, matched);
        Py_DECREF(key);
        return r;
    }
    case EDGE_FOLDED: {
        PyObject *lowered;
        int r;
        if (!PyUnicode_Check(item)) return 0;
        lowered = PyObject_CallMethodNoArgs(item, LOWER);
        if (lowered == NULL) return -1;
        r = lookup_reach(e->map, lowered, values, matched);
        Py_DECREF(lowered);
        return r;
    }
    case EDGE_PREFIX: {
        Py_ssize_t k;
        PyObject *reached;
        if (!PyUnicode_Check(item)) return 0;
        k = bisect_right(e->map, item);
        if (k < 0) return -1;
        reached = PyTuple_GET_ITEM(e->reached, k);
        if (reached == Py_None) return 0;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(reached); i++) {
            if (visit_node((NodeObject *)PyTuple_GET_ITEM(reached, i), values, matched) < 0) return -1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

static int visit_node(NodeObject *node, PyObject *values, PyObject *matched) {
    PyObject *names = node->names;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        if (PyDict_SetItem(matched, PyTuple_GET_ITEM(names, i), Py_None) < 0) return -1;
    }
    for (Py_ssize_t i = 0; i < node->entry_count; i++) {
        const Entry *e = &node->entries[i];
        int all = 1;
        for (Py_ssize_t j = 0; j < e->count; j++) {
            PyObject *x = slot_value(values, e->checks[j].slot);
            int r;
            if (x == NULL) return -1;
            Py_INCREF(x);
            r = check_passes(&e->checks[j], x);
            Py_DECREF(x);
            if (r < 0) return -1;
            if (!r) {
                all = 0;
                break;
            }
        }
        if (all && PyDict_SetItem(matched, e->name, Py_None) < 0) return -1;
    }
    for (Py_ssize_t i = 0; i < node->edge_count; i++) {
        const Edge *e = &node->edges[i];
        PyObject *x = slot_value(values, e->slot);
        int r = 0;
        if (x == NULL) return -1;
        if (x == MISSING) continue;
        Py_INCREF(x);
        if (PyList_CheckExact(x)) {
            for (Py_ssize_t j = 0; j < PyList_GET_SIZE(x) && r == 0; j++) {
                PyObject *item = Py_NewRef(PyList_GET_ITEM(x, j));
                r = edge_item(e, item, values, matched);
                Py_DECREF(item);
            }
        } else {
            r = edge_item(e, x, values, matched);
        }
        Py_DECREF(x);
        if (r < 0) return -1;
    }
    return 0;
}

static PyObject *native_visit(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "visit(root, values, matched) takes 3 arguments");
        return NULL;
    }
    if (!PyObject_TypeCheck(args[0], &NodeType) || !PyList_CheckExact(args[1]) || !PyDict_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "visit(root: Node, values: list, matched: dict)");
        return NULL;
    }
    if (MISSING == NULL || VALUE_KEY == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure(missing, value_key) was not called");
        return NULL;
    }
    if (visit_node((NodeObject *)args[0], args[1], args[2]) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *native_configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "configure(missing, value_key)");
        return NULL;
    }
    Py_XSETREF(MISSING, Py_NewRef(args[0]));
    Py_XSETREF(VALUE_KEY, Py_NewRef(args[1]));
    Py_RETURN_NONE;
}

static PyTypeObject NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "assetguard.events._native.Node",
    .tp_doc = PyDoc_STR("Node(names, entries, edges): one frozen rule-index node."),
    .tp_basicsize = sizeof(NodeObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Node_init,
    .tp_dealloc = (destructor)Node_dealloc,
};

static PyMethodDef methods[] = {
    {"visit", (PyCFunction)(void (*)(void))native_visit, METH_FASTCALL,
     "visit(root, values, matched): add the names of the rules matching the slot values."},
    {"configure", (PyCFunction)(void (*)(void))native_configure, METH_FASTCALL,
     "configure(missing, value_key): the absent-slot marker and the typed-key function."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_native", "Native walk of the frozen rule index.", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m;
    if (PyType_Ready(&NodeType) < 0) return NULL;
    LOWER = PyUnicode_InternFromString("lower");
    if (LOWER == NULL) return NULL;
    m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Node", (PyObject *)&NodeType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
