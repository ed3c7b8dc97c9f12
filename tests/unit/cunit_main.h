/*
 * The one main() of every CUnit program in tests/unit/.  A test file
 * defines unit_suites[] (its suites, ended by CU_SUITE_INFO_NULL; per-suite
 * set-up such as log levels goes in the suite's init function) and links
 * tests/unit/libunitmain.a, whose main() registers them, runs them verbosely
 * and exits 0 when every assertion held, 1 when one failed, 2 when CUnit
 * itself could not start.  The suites are borrowed; nothing is allocated.
 */
#ifndef ABC_CUNIT_MAIN_H
#define ABC_CUNIT_MAIN_H

#include <CUnit/CUnit.h>

extern CU_SuiteInfo	 unit_suites[];

#endif /* ABC_CUNIT_MAIN_H */
