#!/bin/sh
echo hardened
