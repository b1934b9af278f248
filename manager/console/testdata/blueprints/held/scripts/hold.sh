#!/bin/sh
i=0
while [ ! -e "$RELEASE" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
[ -e "$RELEASE" ]
