/**
 * @module @ce/cls
 */
