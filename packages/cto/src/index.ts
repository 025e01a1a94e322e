/**
 * @module @ce/cto
 */
