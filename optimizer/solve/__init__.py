"""The solve step: compile, solve on HiGHS in stages, read back, audit, diagnose.

The model is compiled to arrays, solved in lexicographic stages, read back as
a `Result`, audited, and explained when infeasible. Only this layer talks to
the solver.

`optimizer.solve` is also the name of the public function (`from optimizer
import solve`), so import this layer's modules by their full path
(`from optimizer.solve.stages import solve_all`).
"""
