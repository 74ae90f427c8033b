/* Native walk of the frozen rule index (assetguard.events.machine.RuleMachine).
 *
 * The Python side lowers every trie node into a ``Node``: the names it proves, its checked
 * entries (a name and the residual tests the trie did not prove) and its edges (a key space's
 * slot, and a dict from key to child ``Node``, or for prefix edges the sorted prefixes and bounds
 * with what each stretch between them reaches). ``visit(root, values, found)`` walks it for one
 * event's slot values and appends each matching name to the list ``found`` (a rule reached on
 * two paths comes twice; the caller removes repeats).
 *
 * Only the common cases are done here: string lookups, bisection over prefixes, numeric ranges,
 * anything-but string sets and one-star wildcards. Anything else (a value that is absent, an
 * array, another type; other operators) calls the rule's own Python predicate, so the semantics
 * stay those of assetguard.events.pattern_operators. Nodes form a tree (no reference cycles), so
 * the type is not tracked by the garbage collector.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>

enum { CHECK_CALL = 0, CHECK_RANGE = 1, CHECK_NOT_ONE_OF = 2, CHECK_WILDCARD = 3, CHECK_AFFIXES = 4 };
enum { EDGE_EXACT = 0, EDGE_PREFIX = 1, EDGE_FOLDED = 2, EDGE_TYPED = 3 };

static PyObject *MISSING = NULL;   /* event_leaves.MISSING: an absent slot */
static PyObject *VALUE_KEY = NULL; /* pattern_operators.value_key: typed exact keys */
static PyObject *LOWER = NULL;     /* interned "lower" */
static PyObject *FOLD = NULL;      /* pattern_operators.fold: the folded key of a non-ASCII string */

typedef struct {
    Py_ssize_t slot;
    int kind;
    int allow_absent;
    int low_closed;
    int high_closed;
    int bounds_exact; /* RANGE: both bounds are doubles exactly (a float, or an int within 2**53) */
    int unused;
    double low_d, high_d;
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
    Py_hash_t hash;
    PyObject *key;   /* NULL: an empty slot */
    PyObject *child; /* a Node */
} TableSlot;

/* A prefix edge's point as text in the node's own block (one byte per code point). */
typedef struct {
    Py_ssize_t len;
    const Py_UCS1 *data;
} PrefixPoint;

/* What strings in one stretch between prefix points reach: ``count`` Nodes from ``first``. */
typedef struct {
    PyObject **first;
    Py_ssize_t count;
} Stretch;

typedef struct {
    int kind;
    int slot;
    Py_ssize_t count; /* EXACT / FOLDED / TYPED: table size - 1 (the mask); PREFIX: number of points */
    union {
        TableSlot *table; /* open addressing, linear probing, at most half full */
        PrefixPoint *ucs1; /* PREFIX: the points inline, or NULL when one needs more than a byte per code point */
    } u;
    Stretch *stretches; /* PREFIX with inline points: count + 1 stretches */
    PyObject *points;   /* PREFIX: list of sorted points */
    PyObject *reached;  /* PREFIX: tuple, len(points) + 1 items, each None or a tuple of Nodes */
} Edge;

/* One allocation per node: the header, then in ``items`` the names, the entries, every entry's
 * checks, the edges and the edges' hash tables, so a walk touches few cache lines per node (a
 * dict lookup would read the dict, its keys object, its index and its entry). */
typedef struct {
    PyObject_VAR_HEAD
    Py_ssize_t name_count;
    Py_ssize_t entry_count;
    Py_ssize_t edge_count;
    Entry *entries;
    Edge *edges;
    PyObject *items[1];
} NodeObject;

static PyTypeObject NodeType;

_Static_assert(sizeof(Check) % sizeof(PyObject *) == 0 && sizeof(Entry) % sizeof(PyObject *) == 0 &&
                   sizeof(Edge) % sizeof(PyObject *) == 0 && sizeof(TableSlot) % sizeof(PyObject *) == 0 &&
                   sizeof(PrefixPoint) % sizeof(PyObject *) == 0 && sizeof(Stretch) % sizeof(PyObject *) == 0,
               "node parts are stored in pointer-sized words");

/* ------------------------------------------------------------------ construction */

static void Node_dealloc(NodeObject *self) {
    for (Py_ssize_t i = 0; i < self->name_count; i++) Py_XDECREF(self->items[i]);
    for (Py_ssize_t i = 0; i < self->entry_count; i++) {
        Entry *e = &self->entries[i];
        Py_XDECREF(e->name);
        for (Py_ssize_t j = 0; j < e->count; j++) {
            Py_XDECREF(e->checks[j].a);
            Py_XDECREF(e->checks[j].b);
            Py_XDECREF(e->checks[j].accepts);
        }
    }
    for (Py_ssize_t i = 0; i < self->edge_count; i++) {
        Edge *e = &self->edges[i];
        if (e->kind != EDGE_PREFIX && e->u.table != NULL) {
            for (Py_ssize_t j = 0; j <= e->count; j++) {
                Py_XDECREF(e->u.table[j].key);
                Py_XDECREF(e->u.table[j].child);
            }
        }
        Py_XDECREF(e->points);
        Py_XDECREF(e->reached);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A number as a double when that is exact (so comparing doubles gives Python's answer). */
static int exact_double(PyObject *x, double *out) {
    if (PyFloat_CheckExact(x)) {
        *out = PyFloat_AS_DOUBLE(x);
        return 1;
    }
    if (PyLong_CheckExact(x)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(x, &overflow);
        if (overflow == 0 && v >= -(1LL << 53) && v <= (1LL << 53)) {
            *out = (double)v;
            return 1;
        }
        if (v == -1 && PyErr_Occurred()) PyErr_Clear();
    }
    return 0;
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
    if (c->kind == CHECK_RANGE) {
        if ((!PyLong_Check(a) && !PyFloat_Check(a)) || (!PyLong_Check(b) && !PyFloat_Check(b))) {
            PyErr_SetString(PyExc_TypeError, "numeric check: number bounds expected");
            return -1;
        }
        c->bounds_exact = exact_double(a, &c->low_d) && exact_double(b, &c->high_d);
    }
    c->a = (a == Py_None && c->kind != CHECK_RANGE) ? NULL : Py_NewRef(a);
    c->b = (b == Py_None && c->kind != CHECK_RANGE) ? NULL : Py_NewRef(b);
    c->accepts = Py_NewRef(accepts);
    return 0;
}

/* The table size for a dict of ``n`` children: a power of two at least twice ``n``. */
static Py_ssize_t table_size(Py_ssize_t n) {
    Py_ssize_t size = 2;
    while (size < 2 * n) size *= 2;
    return size;
}

static int all_ucs1(PyObject *points) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(points); i++) {
        if (PyUnicode_KIND(PyList_GET_ITEM(points, i)) != PyUnicode_1BYTE_KIND) return 0;
    }
    return 1;
}

#define WORDS(bytes) (((bytes) + (Py_ssize_t)sizeof(PyObject *) - 1) / (Py_ssize_t)sizeof(PyObject *))

/* Checks an edge spec (kind, slot, map, reached): 0, or -1 with the error set. */
static int check_edge(PyObject *spec) {
    Py_ssize_t kind, slot;
    PyObject *map, *reached;
    if (!PyTuple_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "an edge is a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(spec, "nnOO", &kind, &slot, &map, &reached)) return -1;
    if (slot < 0 || slot > INT_MAX || kind < EDGE_EXACT || kind > EDGE_TYPED) {
        PyErr_SetString(PyExc_ValueError, "bad edge: slot < 0 or unknown kind");
        return -1;
    }
    if (kind == EDGE_PREFIX) {
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
        return 0;
    }
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
    return 0;
}

/* The pointer-sized words an edge check_edge accepted needs in the node's block: its hash table,
 * or a prefix edge's inline points, stretches, children and text (none when a point needs more
 * than a byte per code point). */
static Py_ssize_t edge_words(PyObject *spec) {
    PyObject *map = PyTuple_GET_ITEM(spec, 2), *reached = PyTuple_GET_ITEM(spec, 3);
    if (PyLong_AsSsize_t(PyTuple_GET_ITEM(spec, 0)) != EDGE_PREFIX) {
        return WORDS(table_size(PyDict_GET_SIZE(map)) * (Py_ssize_t)sizeof(TableSlot));
    }
    Py_ssize_t children = 0, bytes = 0, n = PyList_GET_SIZE(map);
    if (!all_ucs1(map)) return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(reached); i++) {
        PyObject *r = PyTuple_GET_ITEM(reached, i);
        if (r != Py_None) children += PyTuple_GET_SIZE(r);
    }
    for (Py_ssize_t i = 0; i < n; i++) bytes += PyUnicode_GET_LENGTH(PyList_GET_ITEM(map, i));
    return WORDS(n * (Py_ssize_t)sizeof(PrefixPoint)) + WORDS((n + 1) * (Py_ssize_t)sizeof(Stretch)) + children +
           WORDS(bytes);
}

/* Fills ``e`` from a spec check_edge accepted, using the edge_words it needs at ``area``. */
static int fill_edge(PyObject *spec, Edge *e, PyObject **area, Py_ssize_t words) {
    PyObject *map = PyTuple_GET_ITEM(spec, 2), *reached = PyTuple_GET_ITEM(spec, 3);
    e->kind = (int)PyLong_AsSsize_t(PyTuple_GET_ITEM(spec, 0));
    e->slot = (int)PyLong_AsSsize_t(PyTuple_GET_ITEM(spec, 1));
    if (e->kind == EDGE_PREFIX) {
        Py_ssize_t n = PyList_GET_SIZE(map);
        e->points = Py_NewRef(map);
        e->reached = Py_NewRef(reached);
        e->count = n;
        if (words > 0) { /* every point one byte per code point: points, stretches, children, text */
            PrefixPoint *points = (PrefixPoint *)area;
            Stretch *stretches = (Stretch *)(area + WORDS(n * (Py_ssize_t)sizeof(PrefixPoint)));
            PyObject **children = area + WORDS(n * (Py_ssize_t)sizeof(PrefixPoint)) +
                                  WORDS((n + 1) * (Py_ssize_t)sizeof(Stretch));
            Py_ssize_t used = 0;
            for (Py_ssize_t k = 0; k <= n; k++) {
                PyObject *r = PyTuple_GET_ITEM(reached, k);
                stretches[k].first = &children[used];
                stretches[k].count = r == Py_None ? 0 : PyTuple_GET_SIZE(r);
                for (Py_ssize_t j = 0; j < stretches[k].count; j++) children[used++] = PyTuple_GET_ITEM(r, j);
            }
            Py_UCS1 *text = (Py_UCS1 *)&children[used]; /* borrowed children: ``reached`` holds them */
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *p = PyList_GET_ITEM(map, i);
                points[i].len = PyUnicode_GET_LENGTH(p);
                points[i].data = text;
                memcpy(text, PyUnicode_1BYTE_DATA(p), (size_t)points[i].len);
                text += points[i].len;
            }
            e->u.ucs1 = points;
            e->stretches = stretches;
        }
        return 0;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    TableSlot *table = (TableSlot *)area;
    e->u.table = table;
    e->count = (Py_ssize_t)(words * (Py_ssize_t)sizeof(PyObject *) / (Py_ssize_t)sizeof(TableSlot)) - 1;
    while (PyDict_Next(map, &pos, &key, &value)) {
        Py_hash_t h = PyObject_Hash(key); /* dict keys: hashable */
        Py_ssize_t i;
        if (h == -1) return -1;
        for (i = (Py_ssize_t)((size_t)h & (size_t)e->count); table[i].key != NULL; i = (i + 1) & e->count) {
        }
        table[i].hash = h;
        table[i].key = Py_NewRef(key);
        table[i].child = Py_NewRef(value);
    }
    return 0;
}

static PyObject *Node_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"names", "entries", "edges", NULL};
    PyObject *names, *entries, *edges;
    Py_ssize_t check_total = 0, slot_total = 0, words;
    NodeObject *self;
    Check *next_check;
    PyObject **next_area;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!", kwlist, &PyTuple_Type, &names, &PyTuple_Type,
                                     &entries, &PyTuple_Type, &edges)) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(entries); i++) {
        PyObject *spec = PyTuple_GET_ITEM(entries, i);
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 2 || !PyTuple_Check(PyTuple_GET_ITEM(spec, 1))) {
            PyErr_SetString(PyExc_TypeError, "an entry is (name, tuple of checks)");
            return NULL;
        }
        check_total += PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 1));
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(edges); i++) {
        if (check_edge(PyTuple_GET_ITEM(edges, i)) < 0) return NULL;
        slot_total += edge_words(PyTuple_GET_ITEM(edges, i));
    }
    words = PyTuple_GET_SIZE(names) +
            (PyTuple_GET_SIZE(entries) * (Py_ssize_t)sizeof(Entry) + check_total * (Py_ssize_t)sizeof(Check) +
             PyTuple_GET_SIZE(edges) * (Py_ssize_t)sizeof(Edge)) /
                (Py_ssize_t)sizeof(PyObject *) +
            slot_total;
    self = (NodeObject *)type->tp_alloc(type, words); /* zeroed: dealloc is safe at any point */
    if (self == NULL) return NULL;
    self->entries = (Entry *)&self->items[PyTuple_GET_SIZE(names)];
    next_check = (Check *)&self->entries[PyTuple_GET_SIZE(entries)];
    self->edges = (Edge *)&next_check[check_total];
    next_area = (PyObject **)&self->edges[PyTuple_GET_SIZE(edges)];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        self->items[i] = Py_NewRef(PyTuple_GET_ITEM(names, i));
        self->name_count = i + 1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(entries); i++) {
        PyObject *spec = PyTuple_GET_ITEM(entries, i), *checks = PyTuple_GET_ITEM(spec, 1);
        Entry *e = &self->entries[i];
        self->entry_count = i + 1;
        e->name = Py_NewRef(PyTuple_GET_ITEM(spec, 0));
        e->checks = next_check;
        next_check += PyTuple_GET_SIZE(checks);
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(checks); j++) {
            e->count = j + 1;
            if (parse_check(PyTuple_GET_ITEM(checks, j), &e->checks[j]) < 0) goto fail;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(edges); i++) {
        PyObject *spec = PyTuple_GET_ITEM(edges, i);
        Py_ssize_t size = edge_words(spec); /* every spec was checked before the block was sized */
        self->edge_count = i + 1;
        if (fill_edge(spec, &self->edges[i], next_area, size) < 0) goto fail;
        next_area += size;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

/* ------------------------------------------------------------------ matching */

static int visit_node(NodeObject *node, PyObject *values, PyObject *found);

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
            double v;
            if (c->bounds_exact && exact_double(x, &v)) { /* NaN fails both, as in Python */
                return (c->low_closed ? c->low_d <= v : c->low_d < v) &&
                       (c->high_closed ? v <= c->high_d : v < c->high_d);
            }
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

static int reach_node(PyObject *child, PyObject *values, PyObject *found) {
    int r;
    Py_INCREF(child);
    r = visit_node((NodeObject *)child, values, found);
    Py_DECREF(child);
    return r;
}

static inline int same_str(PyObject *a, PyObject *b) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return n == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b) &&
           memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)(n * kind)) == 0;
}

/* Look ``key`` up in a hashed edge and visit the child found, as a dict lookup would (same
 * object, or equal with the same hash); an unhashable key finds nothing. */
static int lookup_reach(const Edge *e, PyObject *key, PyObject *values, PyObject *found) {
    Py_hash_t h = PyObject_Hash(key);
    int exact = PyUnicode_CheckExact(key);
    if (h == -1) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
        PyErr_Clear();
        return 0;
    }
    for (Py_ssize_t i = (Py_ssize_t)((size_t)h & (size_t)e->count);; i = (i + 1) & e->count) {
        const TableSlot *t = &e->u.table[i];
        if (t->key == NULL) return 0;
        if (t->hash != h) continue;
        if (t->key != key) {
            int eq;
            if (exact && PyUnicode_CheckExact(t->key)) {
                eq = same_str(t->key, key);
            } else {
                eq = PyObject_RichCompareBool(t->key, key, Py_EQ);
                if (eq < 0) return -1;
            }
            if (!eq) continue;
        }
        return reach_node(t->child, values, found);
    }
}

/* text < point for two exact strings: code-point order, memcmp when both are one byte per code point. */
static inline int str_less(PyObject *text, PyObject *point) {
    if (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND && PyUnicode_KIND(point) == PyUnicode_1BYTE_KIND) {
        Py_ssize_t lt = PyUnicode_GET_LENGTH(text), lp = PyUnicode_GET_LENGTH(point);
        int c = memcmp(PyUnicode_1BYTE_DATA(text), PyUnicode_1BYTE_DATA(point), (size_t)(lt < lp ? lt : lp));
        return c != 0 ? c < 0 : lt < lp;
    }
    return PyUnicode_Compare(text, point) < 0;
}

static Py_ssize_t bisect_right(PyObject *points, PyObject *text) {
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(points);
    int exact = PyUnicode_CheckExact(text);
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        PyObject *p = PyList_GET_ITEM(points, mid);
        int less;
        if (exact) {
            less = str_less(text, p);
        } else {
            less = PyObject_RichCompareBool(text, p, Py_LT);
            if (less < 0) return -1;
        }
        if (less) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int edge_item(const Edge *e, PyObject *item, PyObject *values, PyObject *found) {
    switch (e->kind) {
    case EDGE_EXACT:
        return lookup_reach(e, item, values, found);
    case EDGE_TYPED: {
        PyObject *key = PyObject_CallOneArg(VALUE_KEY, item);
        int r;
        if (key == NULL) return -1;
        r = lookup_reach(e, key, values, found);
        Py_DECREF(key);
        return r;
    }
    case EDGE_FOLDED: {
        PyObject *lowered;
        int r;
        if (!PyUnicode_Check(item)) return 0;
        if (PyUnicode_CheckExact(item) && PyUnicode_IS_ASCII(item)) {
            /* An ASCII string without capitals is its own lower case: no new string. */
            const Py_UCS1 *c = PyUnicode_1BYTE_DATA(item);
            Py_ssize_t n = PyUnicode_GET_LENGTH(item), j = 0;
            while (j < n && !(c[j] >= 'A' && c[j] <= 'Z')) j++;
            if (j == n) return lookup_reach(e, item, values, found);
        }
        /* ASCII: str.lower; other strings: the configured fold (pattern_operators.fold). */
        lowered = FOLD != NULL && !PyUnicode_IS_ASCII(item) ? PyObject_CallOneArg(FOLD, item)
                                                            : PyObject_CallMethodNoArgs(item, LOWER);
        if (lowered == NULL) return -1;
        r = lookup_reach(e, lowered, values, found);
        Py_DECREF(lowered);
        return r;
    }
    case EDGE_PREFIX: {
        Py_ssize_t k;
        PyObject *reached;
        if (!PyUnicode_Check(item)) return 0;
        if (e->u.ucs1 != NULL && PyUnicode_CheckExact(item) && PyUnicode_KIND(item) == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *text = PyUnicode_1BYTE_DATA(item);
            Py_ssize_t len = PyUnicode_GET_LENGTH(item), lo = 0, hi = e->count;
            while (lo < hi) { /* bisect_right over the inline points */
                Py_ssize_t mid = (lo + hi) / 2;
                const PrefixPoint *p = &e->u.ucs1[mid];
                int c = memcmp(text, p->data, (size_t)(len < p->len ? len : p->len));
                if (c < 0 || (c == 0 && len < p->len)) hi = mid;
                else lo = mid + 1;
            }
            for (Py_ssize_t i = 0; i < e->stretches[lo].count; i++) {
                if (visit_node((NodeObject *)e->stretches[lo].first[i], values, found) < 0) return -1;
            }
            return 0;
        }
        k = bisect_right(e->points, item);
        if (k < 0) return -1;
        reached = PyTuple_GET_ITEM(e->reached, k);
        if (reached == Py_None) return 0;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(reached); i++) {
            if (visit_node((NodeObject *)PyTuple_GET_ITEM(reached, i), values, found) < 0) return -1;
        }
        return 0;
    }
    default:
        return 0;
    }
}

static int visit_node(NodeObject *node, PyObject *values, PyObject *found) {
    for (Py_ssize_t i = 0; i < node->name_count; i++) {
        if (PyList_Append(found, node->items[i]) < 0) return -1;
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
        if (all && PyList_Append(found, e->name) < 0) return -1;
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
                r = edge_item(e, item, values, found);
                Py_DECREF(item);
            }
        } else {
            r = edge_item(e, x, values, found);
        }
        Py_DECREF(x);
        if (r < 0) return -1;
    }
    return 0;
}

static PyObject *native_visit(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "visit(root, values, found) takes 3 arguments");
        return NULL;
    }
    if (!PyObject_TypeCheck(args[0], &NodeType) || !PyList_CheckExact(args[1]) || !PyList_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "visit(root: Node, values: list, found: list)");
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
    if (nargs < 2 || nargs > 3 || !PyCallable_Check(args[1]) || (nargs == 3 && !PyCallable_Check(args[2]))) {
        PyErr_SetString(PyExc_TypeError, "configure(missing, value_key[, fold])");
        return NULL;
    }
    Py_XSETREF(MISSING, Py_NewRef(args[0]));
    Py_XSETREF(VALUE_KEY, Py_NewRef(args[1]));
    if (nargs == 3) Py_XSETREF(FOLD, Py_NewRef(args[2]));
    Py_RETURN_NONE;
}

static PyTypeObject NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "assetguard.events._native.Node",
    .tp_doc = PyDoc_STR("Node(names, entries, edges): one frozen rule-index node."),
    .tp_basicsize = offsetof(NodeObject, items),
    .tp_itemsize = sizeof(PyObject *),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Node_new,
    .tp_dealloc = (destructor)Node_dealloc,
};

static PyMethodDef methods[] = {
    {"visit", (PyCFunction)(void (*)(void))native_visit, METH_FASTCALL,
     "visit(root, values, found): append the names of the rules matching the slot values (a name may come twice)."},
    {"configure", (PyCFunction)(void (*)(void))native_configure, METH_FASTCALL,
     "configure(missing, value_key[, fold]): the absent-slot marker, the typed-key function and the "
     "case fold of non-ASCII strings (default str.lower)."},
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
