/* The shared main() of the CUnit programs; see cunit_main.h. */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "cunit_main.h"

int
main(void)
{
	unsigned int	 failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(unit_suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	(void)CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures != 0 ? 1 : 0;
}
