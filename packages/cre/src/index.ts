/**
 * @module @ce/cre
 */
