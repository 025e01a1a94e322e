/**
 * @module @ce/plugins-sample
 */
