/** Types of icon.mjs, for the tests. */
export declare function iconSvg(): string;
export declare function iconPng(size: number): Buffer;
