// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_selfrace: a test-only module with a deliberate data race, so that
 * scripts/check-kcsan can check that its lane sees KCSAN reports in kipc
 * code (the module's frames are "[kipc_selfrace]", a kipc* module) and
 * fails on them. On load, a writer and a reader kthread hammer one plain,
 * unsynchronised counter for about two seconds; then the load returns.
 * Never load it outside the test VM.
 *
 * No "kcsan_" or "tsan_" in the module's or its functions' names: KCSAN
 * leaves every stack frame whose symbol ("func+0x../0x.. [module]")
 * contains one out of its reports as its own runtime (get_stack_skipnr()
 * in kernel/kcsan/report.c), which would hide exactly the racing frames.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/processor.h>

static unsigned long kipc_selfrace_counter;	/* racy on purpose */
static unsigned long kipc_selfrace_sink;
static unsigned long kipc_selfrace_until;
static DECLARE_COMPLETION(kipc_selfrace_writer_done);
static DECLARE_COMPLETION(kipc_selfrace_reader_done);

static int kipc_selfrace_writer(void *unused)
{
	while (time_before(jiffies, READ_ONCE(kipc_selfrace_until))) {
		kipc_selfrace_counter++;	/* plain write: the race */
		cpu_relax();
	}
	complete(&kipc_selfrace_writer_done);
	return 0;
}

static int kipc_selfrace_reader(void *unused)
{
	unsigned long sum = 0;

	while (time_before(jiffies, READ_ONCE(kipc_selfrace_until))) {
		sum += kipc_selfrace_counter;	/* plain read: the race */
		cpu_relax();
	}
	WRITE_ONCE(kipc_selfrace_sink, sum);
	complete(&kipc_selfrace_reader_done);
	return 0;
}

static int __init kipc_selfrace_init(void)
{
	struct task_struct *w, *r;

	WRITE_ONCE(kipc_selfrace_until, jiffies + 2 * HZ);
	w = kthread_run(kipc_selfrace_writer, NULL, "kipc_race_w");
	if (IS_ERR(w))
		return PTR_ERR(w);
	r = kthread_run(kipc_selfrace_reader, NULL, "kipc_race_r");
	if (IS_ERR(r)) {
		wait_for_completion(&kipc_selfrace_writer_done);
		return PTR_ERR(r);
	}
	wait_for_completion(&kipc_selfrace_writer_done);
	wait_for_completion(&kipc_selfrace_reader_done);
	pr_info("kipc_selfrace: done (%lu)\n", READ_ONCE(kipc_selfrace_sink));
	return 0;
}

static void __exit kipc_selfrace_exit(void)
{
}

module_init(kipc_selfrace_init);
module_exit(kipc_selfrace_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kipc KCSAN lane self-check: a deliberate data race");
