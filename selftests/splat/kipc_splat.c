// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_splat: a test-only module that WARNs on load, so that
 * scripts/vm/selftest-splat can check that scripts/vm/kipc-vm notices kernel
 * splats in the guest. Never load it outside the test VM.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init kipc_splat_init(void)
{
	WARN(1, "kipc_splat: deliberate warning for the splat self-check\n");
	return 0;
}

static void __exit kipc_splat_exit(void)
{
}

module_init(kipc_splat_init);
module_exit(kipc_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kipc test VM self-check: WARN()s on load to prove splats are detected");
